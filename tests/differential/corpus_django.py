"""Project cases: Django models (a method, a default, a field, Meta) on an in-memory SQLite database.

The setup configures Django the minimal way a script or notebook does
(``settings.configure`` then ``django.setup()``), creates the model's table
with the schema editor and saves rows.  One kernel serves many cases, and
Django refuses two models of one name in one app, so each model module takes
its own module name as its app label (the same in the fresh interpreter).
"""

from __future__ import annotations

from .case import Case, Group

MODELS = """
from django.conf import settings
from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver

APP = __name__  # an app label of the module's own


class ItemQuerySet(models.QuerySet):
    def cheap(self):
        return self.filter(price__lt=5)


class Item(models.Model):
    name = models.CharField(max_length=20)
    price = models.IntegerField(default=0)
    objects = ItemQuerySet.as_manager()

    class Meta:
        app_label = APP
        ordering = ["name"]

    def label(self):
        return f"{self.name}: {self.price}"

    def stamped(self):
        return f"{self.name} (tz: {settings.USE_TZ})"

    @property
    def expensive(self):
        return self.price > 4

    def __str__(self):
        return self.name


@receiver(pre_save, sender=Item)
def tidy(sender, instance, **kwargs):
    instance.name = instance.name.strip()
"""
SETUP = """
import django
from django.conf import settings
if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
    )
django.setup()
from django.db import connection
import m
from m import Item
from django.db.models.signals import pre_save
with connection.schema_editor() as editor:
    editor.create_model(Item)
for name, price in [("pear", 5), ("apple", 3), ("fig", 9)]:
    Item.objects.create(name=name, price=price)
first = Item.objects.get(name="apple")
"""
ROWS = "[(str(i), i.label(), i.expensive) for i in Item.objects.all()]"
# The signal sent without saving: the receivers run, the database is left as it is.
TIDIED = '(lambda i: (pre_save.send(sender=Item, instance=i), i.name)[1])(Item(name=" kiwi "))'
PROBES = [ROWS, "first.label()", 'Item(name="kiwi").label()', "first.stamped()",
          "[str(i) for i in Item.objects.cheap()]", TIDIED]
FIELDS = "[f.name for f in Item._meta.get_fields()]"

models = Group("django", MODELS, SETUP)

CASES: list[Case] = [
    models.edit("method_body", 'f"{self.name}: {self.price}"', 'f"{self.name} costs {self.price}"',
                PROBES, must_apply=True),
    models.edit("property_body", "self.price > 4", "self.price > 8", PROBES, must_apply=True),
    models.edit("settings_reader_body", "tz: {settings.USE_TZ}", "time zones: {settings.USE_TZ}",
                PROBES, must_apply=True),
    models.edit("str_body", "return self.name\n", "return self.name.upper()\n", PROBES,
                must_apply=True),
    models.edit("method_added", "    def __str__(self):",
                "    def double(self):\n        return self.price * 2\n\n    def __str__(self):",
                [*PROBES, "first.double()"]),
    models.edit("field_default", "IntegerField(default=0)", "IntegerField(default=1)",
                [*PROBES, 'Item(name="kiwi").price']),
    models.edit("field_added", "    price = models.IntegerField(default=0)\n",
                "    price = models.IntegerField(default=0)\n"
                '    colour = models.CharField(max_length=10, default="green")\n',
                [*PROBES, FIELDS, 'Item(name="kiwi").colour'], restart=True),
    models.edit("queryset_method_body", "price__lt=5", "price__lt=4", PROBES, must_apply=True),
    # The rows were saved through the receiver before the edit: only new objects are asked.
    models.edit("signal_receiver_body", "instance.name.strip()", "instance.name.strip().title()",
                [TIDIED, 'Item(name="kiwi").label()'], must_apply=True),
    models.edit("signal_receiver_signal_changed", "@receiver(pre_save, sender=Item)",
                "@receiver(models.signals.post_init, sender=Item)", PROBES),
    models.edit("model_added", "    def __str__(self):\n        return self.name\n",
                "    def __str__(self):\n        return self.name\n\n\n"
                "class Tag(models.Model):\n    word = models.CharField(max_length=10)\n\n"
                "    class Meta:\n        app_label = APP\n",
                [*PROBES, 'm.Tag(word="x").word', "m.Tag._meta.model_name"]),
    models.edit("field_removed", "    price = models.IntegerField(default=0)\n", "",
                [FIELDS, 'Item(name="kiwi").name']),
    models.edit("field_max_length", "CharField(max_length=20)", "CharField(max_length=30)",
                ['Item._meta.get_field("name").max_length']),
    models.edit("meta_ordering", 'ordering = ["name"]', 'ordering = ["-price"]',
                [*PROBES, "Item._meta.ordering"]),
    models.edit("meta_verbose_name", 'ordering = ["name"]',
                'ordering = ["name"]\n        verbose_name = "stock item"',
                ["str(Item._meta.verbose_name)", ROWS]),
]

PRELOAD = ["django", "django.db", "django.db.models", "django.conf", "django.apps",
           "django.db.backends.sqlite3.base", "django.contrib.contenttypes"]
