"""Admin for the vendor's product lines, products and versions."""

from __future__ import annotations

from django.contrib import admin

from supportdesk.catalog.models import Product, ProductLine, ProductVersion


class ProductInline(admin.TabularInline):
    model = Product
    fields = ("code", "name")
    extra = 0
    show_change_link = True


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_consumer")
    list_filter = ("is_consumer",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    inlines = [ProductInline]


class ProductVersionInline(admin.TabularInline):
    model = ProductVersion
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "line")
    list_filter = ("line",)
    search_fields = ("name", "code")
    list_select_related = ("line",)
    inlines = [ProductVersionInline]


@admin.register(ProductVersion)
class ProductVersionAdmin(admin.ModelAdmin):
    list_display = ("product", "name", "released_on")
    list_filter = ("product__line", "product")
    search_fields = ("product__name", "name")
    list_select_related = ("product",)
