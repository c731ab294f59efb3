# The date and time format policy for Russian (FORMAT_MODULE_PATH, see docs/translations.md):
# pages, e-mails and messages use only these named formats, never a literal pattern or ISO.
# Russian usage as Django's own locale has it: "10 марта 2026 г. 9:00", "10.03.2026 09:00".
DATE_FORMAT = "j E Y г."
DATETIME_FORMAT = "j E Y г. G:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j F"
TIME_FORMAT = "G:i"
