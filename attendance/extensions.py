"""Extensions created unbound and initialised inside ``create_app``."""

import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ErrorSchema(ma.Schema):
    """The one error body of the API."""

    code = ma.fields.String(
        required=True, metadata={"description": "Code stable, pour les programmes"}
    )
    message = ma.fields.String(required=True, metadata={"description": "Message en français"})
    details = ma.fields.Dict(required=True)


def schema_name(schema) -> str:
    """Component names for the OpenAPI document; partial (PATCH) variants get their own."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


class ServiceApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app, *, spec_kwargs=None):
        spec_kwargs = {
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
            **(spec_kwargs or {}),
        }
        super().init_app(app, spec_kwargs=spec_kwargs)


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
api = ServiceApi()
