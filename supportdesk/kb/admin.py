from django.contrib import admin

from supportdesk.kb.models import Article, SuggestionOpen


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "language",
        "product",
        "versions",
        "visibility",
        "status",
        "updated_at",
    ]
    list_filter = ["status", "visibility", "language", "product"]
    search_fields = ["title", "body"]
    raw_id_fields = ["source_ticket"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SuggestionOpen)
class SuggestionOpenAdmin(admin.ModelAdmin):
    list_display = ["article", "opened_at", "ticket"]
    raw_id_fields = ["article", "user", "ticket"]
