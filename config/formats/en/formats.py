# The date and time format policy for English (FORMAT_MODULE_PATH, see docs/translations.md):
# day, month by name, year, so no reader takes 02/12 for February, and a 24-hour clock.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
TIME_FORMAT = "H:i"
