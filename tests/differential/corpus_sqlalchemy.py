"""Project cases: SQLAlchemy 2 declarative models and the queries of another module, on SQLite.

The setup creates the tables in an in-memory database, adds rows and keeps
a session and loaded objects, as a user exploring data does.  A method, a
property or a query edited must run as written; a column added or removed
changes the mapped table, which the live process cannot remap (its rows and
its session were made with the old one): it must be refused or be exactly
what a fresh process does.
"""

from __future__ import annotations

from .case import Case, Group

MODELS = """
from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    books: Mapped[list["Book"]] = relationship(back_populates="author", order_by="Book.year")

    def signature(self):
        return self.name.split()[-1].upper()

    def __repr__(self):
        return f"Author({self.name!r})"


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    year: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")

    @property
    def age(self):
        return 2020 - self.year

    @validates("title")
    def check_title(self, key, value):
        return value.strip()


@event.listens_for(Author, "init")
def default_name(target, args, kwargs):
    kwargs.setdefault("name", "Anonymous")
"""
QUERIES = """
from sqlalchemy import func, select

from models import Author, Book


def titles(session, since=0):
    query = select(Book.title).where(Book.year >= since).order_by(Book.year)
    return session.scalars(query).all()


def counts(session):
    query = select(Author.name, func.count(Book.id)).join(Book).group_by(Author.name)
    return sorted(session.execute(query).all())
"""
SETUP = """
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
import models, queries
from models import Author, Book
from queries import titles, counts
engine = create_engine("sqlite://")
models.Base.metadata.create_all(engine)
session = Session(engine)
le_guin = Author(name="Ursula Le Guin")
session.add_all([le_guin, Author(name="Iain Banks")])
session.add_all([Book(title="The Dispossessed", year=1974, author=le_guin), Book(title="Lathe", year=1971, author=le_guin)])
session.commit()
"""
PROBES = ["le_guin.signature()", "repr(le_guin)", "[(b.title, b.age) for b in le_guin.books]",
          "titles(session)", "titles(session, since=1972)", "counts(session)"]
COLUMNS = "[c.name for c in Book.__table__.columns]"
NEW_OBJECTS = ['Book(title="  Excession ", year=1996).title', "Author().name"]

project = Group("sqlalchemy.project", {"models.py": MODELS, "queries.py": QUERIES}, SETUP,
                file="models.py")

CASES: list[Case] = [
    project.edit("method_body", "split()[-1].upper()", "split()[0].lower()", PROBES,
                 must_apply=True),
    project.edit("repr_body", 'f"Author({self.name!r})"', 'f"<Author {self.name}>"', PROBES,
                 must_apply=True),
    project.edit("property_body", "2020 - self.year", "2024 - self.year", PROBES,
                 must_apply=True),
    project.edit("query_function_body", ".order_by(Book.year)", ".order_by(Book.title.desc())",
                 PROBES, file="queries.py", must_apply=True),
    project.edit("query_default", "since=0", "since=1972", PROBES, file="queries.py"),
    # The rows went through the validator before the edit: only new objects are asked.
    project.edit("validator_body", "return value.strip()", "return value.strip().upper()",
                 [*NEW_OBJECTS, "le_guin.signature()"], must_apply=True),
    project.edit("event_listener_body", '"Anonymous"', '"Unknown"', [*PROBES, *NEW_OBJECTS],
                 must_apply=True),
    project.edit("event_listener_event_changed", '@event.listens_for(Author, "init")',
                 '@event.listens_for(Author, "load")', [*PROBES, *NEW_OBJECTS]),
    project.edit("method_added", "    def __repr__(self):",
                 "    def initials(self):\n        return \"\".join(w[0] for w in self.name.split())"
                 "\n\n    def __repr__(self):",
                 [*PROBES, "le_guin.initials()"]),
    project.edit("model_added", "\n\nclass Book(Base):",
                 '\n\nclass Shelf(Base):\n    __tablename__ = "shelves"\n'
                 "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                 "    label: Mapped[str] = mapped_column(String(20))\n\n\nclass Book(Base):",
                 [*PROBES, "sorted(models.Base.metadata.tables)", 'models.Shelf(label="a").label']),
    project.edit("column_added", "    year: Mapped[int]\n",
                 "    year: Mapped[int]\n    pages: Mapped[int] = mapped_column(default=0)\n",
                 [*PROBES, COLUMNS], restart=True),
    project.edit("column_removed", "    title: Mapped[str] = mapped_column(String(50))\n", "",
                 [COLUMNS, "Book.__table__.c.keys()"], restart=True),
    project.edit("column_type", "String(30)", "String(60)",
                 [*PROBES, "repr(Author.__table__.c.name.type)"]),
    project.edit("relationship_order", 'order_by="Book.year"', 'order_by="Book.title"',
                 [*PROBES, "str(Author.books.property.order_by)"]),
]

PRELOAD = ["sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.sqlite",
           "sqlalchemy.ext.hybrid"]
