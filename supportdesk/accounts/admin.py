"""Admin for people and organizations: the e-mail user model, organizations, contacts, agents."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Agent, Contact, ContactPhone, Organization, Team, User


class UserCreationForm(AdminUserCreationForm):
    # django-stubs does not declare the Meta of Django's user forms.
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "language", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "language")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language", "timezone")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "language",
                    "timezone",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ("user", "support_contact_id", "is_org_admin")
    raw_id_fields = ("user",)
    extra = 0
    show_change_link = True


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "account_manager", "created_at")
    list_filter = ("country",)
    search_fields = ("name", "contracts__support_id", "contacts__user__email")
    raw_id_fields = ("account_manager",)
    inlines = [ContactInline]


class ContactPhoneInline(admin.TabularInline):
    model = ContactPhone
    fields = ("number",)
    extra = 0


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "support_contact_id", "is_org_admin")
    list_filter = ("is_org_admin", "organization")
    search_fields = ("user__email", "user__last_name", "support_contact_id", "phones__normalized")
    list_select_related = ("user", "organization")
    raw_id_fields = ("user",)
    inlines = [ContactPhoneInline]


@admin.register(ContactPhone)
class ContactPhoneAdmin(admin.ModelAdmin):
    list_display = ("number", "contact")
    search_fields = ("number", "normalized", "contact__user__email")
    list_select_related = ("contact__user", "contact__organization")
    raw_id_fields = ("contact",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "calendar")
    list_filter = ("language",)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("user", "role")
    list_filter = ("role", "teams")
    search_fields = ("user__email", "user__last_name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    filter_horizontal = ("teams",)
