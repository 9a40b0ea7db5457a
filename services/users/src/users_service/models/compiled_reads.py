"""The reads that nearly every request makes, compiled once and run on the DBAPI cursor.

Core builds an execution context and a result object around every statement it runs: for a
one-row primary-key read that costs more of the worker's time than the driver's own work
(SQLAlchemy's performance guide suggests the DBAPI cursor for exactly this case). A
`CompiledRead` keeps what Core would redo each time, per dialect: the SQL text, the bind
parameters' order and the column types' converters. A request then binds its values, runs
the cursor and converts the row, with the same converters Core would apply.

A connection the database dropped is the one failure that needs Core: the read invalidates
the connection and runs again through Core, which reconnects, or on a lost database marks
the whole pool stale and raises what every other query raises (a 503).
"""

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class _Form:
    """A statement as one dialect runs it."""

    sql: str
    names: tuple[str, ...]  # of the bound values, in the order a positional dialect wants
    defaults: dict[str, Any]  # values the statement binds itself (SQLite's OFFSET 0)
    positional: bool
    # Only the values whose types convert them: most columns come from the driver as they are.
    to_database: tuple[tuple[str, Convert], ...]
    to_python: tuple[tuple[int, Convert], ...]

    @classmethod
    def of(cls, statement: Select[Any], dialect: Dialect) -> "_Form":
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a CompiledRead binds every value once: no expanding IN lists")
        named = {name: bind for bind, name in compiled.bind_names.items()}
        names = tuple(compiled.positiontup or named)
        to_database = {
            name: named[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        }
        to_python = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]
        return cls(
            sql=compiled.string,
            names=names,
            defaults={name: named[name].value for name in names if not named[name].required},
            positional=compiled.positiontup is not None,
            to_database=tuple((name, to_db) for name, to_db in to_database.items() if to_db),
            to_python=tuple((index, to_py) for index, to_py in enumerate(to_python) if to_py),
        )

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        given = {**self.defaults, **values}
        for name, to_db in self.to_database:
            given[name] = to_db(given[name])
        return [given[name] for name in self.names] if self.positional else given

    def converted(self, raw: Sequence[Any]) -> Sequence[Any]:
        if not self.to_python:
            return raw
        row = list(raw)
        for index, to_py in self.to_python:
            row[index] = to_py(row[index])
        return row


def _observed(connection: Connection) -> bool:
    """Whether anything listens to the engine's statement events (tracing, a test counting
    queries): Core runs the read then, so that every listener sees every statement."""
    # The flags SQLAlchemy itself checks before it dispatches any event: a listener on the
    # engine or on this connection sets them (test_compiled_reads proves it still holds).
    return connection._has_events or connection.engine._has_events


class CompiledRead:
    """A select that runs as its dialect's SQL on the pooled DBAPI connection. Its rows are
    named tuples (`row.id`, `row[0]`), as Core's rows are. Build one per statement, once (a
    module constant): it keeps one compiled form per dialect."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._forms: dict[str, _Form] = {}
        self._row: Any = namedtuple("Row", statement.selected_columns.keys())  # type: ignore[misc]

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any | None:
        rows = self._run(connection, values, first_only=True)
        return rows[0] if rows else None

    def all(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        return self._run(connection, values, first_only=False)

    def _run(
        self, connection: Connection, values: Mapping[str, Any], first_only: bool
    ) -> list[Any]:
        if _observed(connection):
            return self._through_core(connection, values)
        form = self._form(connection.dialect)
        cursor = None
        try:
            cursor = connection.connection.cursor()
            cursor.execute(form.sql, form.parameters(values))
            raw = [cursor.fetchone()] if first_only else cursor.fetchall()
            cursor.close()
        except connection.dialect.loaded_dbapi.Error as error:
            return self._after_failure(connection, cursor, error, values)
        except BaseException:
            # Interrupted mid-query (a deadline): the connection's state is unknown. Closing
            # it closes its cursor too.
            connection.invalidate()
            raise
        return [self._row(*form.converted(row)) for row in raw if row is not None]

    def _after_failure(
        self, connection: Connection, cursor: Any, error: Any, values: Mapping[str, Any]
    ) -> list[Any]:
        dialect = connection.dialect
        if not dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor):
            if cursor is not None:
                cursor.close()
            # Raised as Core raises it (a timeout, a refusal), without the values.
            sql = self._form(dialect).sql
            base = dialect.loaded_dbapi.Error
            wrapped = DBAPIError.instance(
                sql, None, error, base, hide_parameters=True, dialect=dialect
            )
            raise wrapped from error
        connection.invalidate(error)
        return self._through_core(connection, values)

    def _through_core(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        return [self._row(*row) for row in connection.execute(self.statement, dict(values))]

    def _form(self, dialect: Dialect) -> _Form:
        form = self._forms.get(dialect.name)
        if form is None:
            form = self._forms[dialect.name] = _Form.of(self.statement, dialect)
        return form
