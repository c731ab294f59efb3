from django.contrib import admin

from supportdesk.feedback.models import Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["ticket", "score", "source", "created_at"]
    list_filter = ["score", "source"]
    search_fields = ["ticket__number", "comment"]
    raw_id_fields = ["ticket", "rated_by"]
    readonly_fields = ["created_at"]
