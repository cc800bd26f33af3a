"""Articles, the sources they came from, and their embedded chunks."""
from peewee import BlobField, CharField, ForeignKeyField, IntegerField, TextField
from pgvector.peewee import VectorField
from playhouse.postgres_ext import ArrayField

from app.models.base import (
    BaseModel,
    SafeCharField,
    SafeJSONField,
    SafeTextField,
    TimestampField,
    utcnow,
)
from app.models.users import User


class Article(BaseModel):
    class Meta:
        table_name = "articles"

    user = ForeignKeyField(User, backref="articles", on_delete="CASCADE")
    event_id = IntegerField(null=True, unique=True)
    title = SafeTextField()
    summary = SafeTextField(default="")
    content_text = SafeTextField(default="")
    category = SafeCharField(default="other")
    tags = ArrayField(CharField, default=list)
    metadata = SafeJSONField(default=dict)
    created_at = TimestampField(default=utcnow)
    updated_at = TimestampField(default=utcnow)

    @classmethod
    def owned(cls, user_id):
        """Every article query starts here, so no view can forget the owner."""
        return cls.select().where(cls.user == user_id)

    @classmethod
    def get_owned(cls, article_id, user_id):
        """The article if this user owns it, else None (callers answer 404, never 403)."""
        return cls.owned(user_id).where(cls.id == article_id).first()


class Source(BaseModel):
    class Meta:
        table_name = "sources"

    article = ForeignKeyField(Article, backref="sources", on_delete="CASCADE")
    type = SafeCharField()  # email | pdf | html | text
    name = SafeTextField(default="")
    path = SafeTextField(null=True)
    content_type = SafeTextField(null=True)
    size = IntegerField(default=0)
    raw_text = SafeTextField(default="")
    error = SafeTextField(null=True)
    metadata = SafeJSONField(default=dict)
    created_at = TimestampField(default=utcnow)


class SourceFile(BaseModel):
    """A source's original bytes (migration 0008), in the database every host shares.
    Select `data` only to read it: it may be 20 MB (app.articles.originals reads slices)."""
    class Meta:
        table_name = "source_files"

    source = ForeignKeyField(Source, primary_key=True, on_delete="CASCADE")
    size = IntegerField()
    sha256 = TextField()
    data = BlobField()
    created_at = TimestampField(default=utcnow)


class Chunk(BaseModel):
    class Meta:
        table_name = "chunks"

    article = ForeignKeyField(Article, backref="chunks", on_delete="CASCADE")
    user_id = IntegerField()  # denormalised so search filters by owner without a join
    idx = IntegerField()
    content = SafeTextField()
    embedding = VectorField()
    metadata = SafeJSONField(default=dict)
    # `tsv` is a generated tsvector column; search reads it through SQL only.
