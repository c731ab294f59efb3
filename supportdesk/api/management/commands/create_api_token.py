from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.api.services import create_api_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, email: str, name: str, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(_("No user with e-mail %(email)s") % {"email": email})
        _token, plain = create_api_token(user=user, name=name)
        self.stdout.write(plain)
