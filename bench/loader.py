"""Writing the bulk rows fast, on each engine.

PostgreSQL: COPY of CSV made by the workers, on two connections: the search documents on one (their
stored `terms_vector` is computed as they arrive, the costliest part of the load) and every other table
on the other, each in one transaction that first truncated its (empty) tables, so COPY can FREEZE: rows
go in frozen and all-visible, and the VACUUM at the end has nothing to rewrite. `synchronous_commit` is
off and, for a superuser, foreign-key triggers too (`session_replication_role = replica`: the rows are
consistent by construction, and the tests check every key). Secondary indexes, unique constraints and
the search table's foreign key are dropped first and made again from their saved definitions at the
end, with a generous `maintenance_work_mem` (the GIN index on one connection, the rest on the other);
then the sequences move past the given ids and VACUUM ANALYZE gives the statistics a running system
would have.

SQLite: executemany in one transaction per chunk with the journal and foreign keys off, the secondary
indexes and the FTS5 triggers dropped and made again, then the FTS5 index rebuilt from the documents
(as rebuild_search_index does). No ANALYZE: Linka never runs it on SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg

from bench.rows import COLUMNS, WITH_IDS, Payload

MAINTENANCE_WORK_MEM = "1GB"
# The search index is kept and fed as rows arrive, through a large pending list: building it at the end
# took 174 s for a million tickets on one core while the other idled; fed during the load, its work
# hides behind the generation (measured: 200,000 tickets in 127 s instead of 168 s).
GIN_PENDING_LIST = "256MB"
SEARCH_TABLE = "ticket_search"


class PostgresLoader:
    def __init__(self, url: str) -> None:
        self.dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.rows: asyncpg.Connection | None = None
        self.search: asyncpg.Connection | None = None
        self.saved: list[tuple[str, str]] = []  # (table, statement that makes it again)
        self.freeze = False
        self.not_null: dict[str, list[str]] = {}  # table → its NOT NULL text columns
        self.vacuumed: list[str] = []  # every table but the search table

    async def open(self) -> None:
        self.rows = await self._connect()
        self.search = await self._connect()
        await self.search.execute(f"SET gin_pending_list_limit = '{GIN_PENDING_LIST}'")
        await self.search.execute(f"SET work_mem = '{MAINTENANCE_WORK_MEM}'")  # what cleaning the list uses
        try:
            for connection in (self.rows, self.search):
                await connection.execute("SET session_replication_role = replica")
        except asyncpg.InsufficientPrivilegeError:
            pass  # not a superuser: foreign keys are checked (within each connection, tables go in order)

    async def _connect(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(self.dsn)
        await connection.execute("SET synchronous_commit = off")
        await connection.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        return connection

    def _connections(self) -> tuple[asyncpg.Connection, asyncpg.Connection]:
        """(rows, search): the two open connections."""
        if self.rows is None or self.search is None:
            raise RuntimeError("open() first")
        return self.rows, self.search

    async def close(self) -> None:
        for connection in (self.rows, self.search):
            if connection is not None:
                await connection.close()

    async def before_load(self, tables: tuple[str, ...]) -> int:
        """Drop what the load would maintain row by row, and open the load's transactions. Returns how
        many indexes and constraints are to be made again."""
        rows, search = self._connections()
        await self._drop_indexes(rows, tables)
        found = await rows.fetch(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public' AND is_nullable = 'NO' AND table_name = ANY($1::text[])
                 AND data_type IN ('text', 'character varying')""",
            list(tables),
        )
        for row in found:
            if row["column_name"] in COLUMNS[row["table_name"]]:
                self.not_null.setdefault(row["table_name"], []).append(row["column_name"])
        found_tables = await rows.fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
            "AND relname <> $1 ORDER BY relname",
            SEARCH_TABLE,
        )
        self.vacuumed = [row["relname"] for row in found_tables]
        truncated = await self._referencing(rows, [table for table in tables if table != SEARCH_TABLE])
        empty = [not await rows.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")') for table in truncated]  # noqa: S608
        self.freeze = all(empty)
        if self.freeze:
            await rows.execute("BEGIN")
            await rows.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in truncated))
            await search.execute("BEGIN")
            await search.execute(f"TRUNCATE {SEARCH_TABLE}")
        return len(self.saved)

    async def _drop_indexes(self, connection: asyncpg.Connection, tables: tuple[str, ...]) -> None:
        """Save and drop the unique constraints and indexes of `tables` other than primary keys, and the
        search table's foreign keys (so it loads in its own transaction)."""
        constraints = await connection.fetch(
            """SELECT c.conrelid::regclass::text AS table_name, c.conname, pg_get_constraintdef(c.oid) AS definition
               FROM pg_constraint c
               WHERE c.conrelid::regclass::text = ANY($1::text[])
                 AND (c.contype = 'u' OR (c.contype = 'f' AND c.conrelid::regclass::text = $2))
               ORDER BY c.contype DESC, 1, 2""",
            list(tables),
            SEARCH_TABLE,
        )
        indexes = await connection.fetch(
            """SELECT i.indrelid::regclass::text AS table_name, x.relname AS name,
                      pg_get_indexdef(i.indexrelid) AS definition
               FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
               WHERE i.indrelid::regclass::text = ANY($1::text[]) AND NOT i.indisprimary
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
               ORDER BY 1, 2""",
            list(tables),
        )
        for row in constraints:
            table, name = row["table_name"], row["conname"]
            self.saved.append((table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {row["definition"]}'))
            await connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for row in indexes:
            if " USING gin " in row["definition"]:
                continue  # kept: see GIN_PENDING_LIST
            self.saved.append((row["table_name"], row["definition"]))
            await connection.execute(f'DROP INDEX "{row["name"]}"')

    @staticmethod
    async def _referencing(connection: asyncpg.Connection, tables: list[str]) -> list[str]:
        """`tables` and every table whose foreign keys lead to one of them (a TRUNCATE must name them all)."""
        found = list(tables)
        while True:
            more = await connection.fetch(
                """SELECT DISTINCT conrelid::regclass::text AS name FROM pg_constraint
                   WHERE contype = 'f' AND confrelid::regclass::text = ANY($1::text[])
                     AND NOT conrelid::regclass::text = ANY($1::text[])""",
                found,
            )
            if not more:
                return found
            found += [row["name"] for row in more]

    async def write(self, payload: Payload) -> None:
        """One chunk: the search documents on their connection while the other tables go on the other."""
        _, search = self._connections()
        documents = payload.get(SEARCH_TABLE)
        others = [(table, data) for table, data in payload.items() if table != SEARCH_TABLE]
        await asyncio.gather(
            self._copy(search, SEARCH_TABLE, documents) if documents else asyncio.sleep(0),
            self._copy_all(others),
        )

    async def _copy_all(self, tables: list[tuple[str, Any]]) -> None:
        rows, _ = self._connections()
        for table, data in tables:
            await self._copy(rows, table, data)

    async def _copy(self, connection: asyncpg.Connection, table: str, data: Any) -> None:
        await connection.copy_to_table(
            table,
            source=memoryview(data),  # a buffer (bytes would be taken for a file name)
            columns=list(COLUMNS[table]),
            format="csv",
            freeze=self.freeze or None,
            force_not_null=self.not_null.get(table) or None,
        )

    def finishing_steps(self) -> list[str]:
        return [step for steps in self._finishing() for step in steps]

    def _finishing(self) -> tuple[list[str], list[str]]:
        """What follows the load, on each connection: the search table's indexes (the GIN index, the
        longest step), key and statistics on one; every other index and constraint, the sequences and
        the other tables' statistics (VACUUM ANALYZE, as autovacuum would leave them) on the other."""
        search = [statement for table, statement in self.saved if table == SEARCH_TABLE]
        search.append(f"VACUUM ANALYZE {SEARCH_TABLE}")
        others = [statement for table, statement in self.saved if table != SEARCH_TABLE]
        others += [
            # The table names are the constants of bench/rows.py, nothing from outside.
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            for table in WITH_IDS
        ]
        others += [f'VACUUM ANALYZE "{table}"' for table in self.vacuumed]
        return search, others

    async def after_load(self, done: Callable[[int], None]) -> None:
        """Commit the load, then the finishing steps on both connections at once; `done(1)` after each."""
        rows, search = self._connections()
        if self.freeze:
            await rows.execute("COMMIT")
            await search.execute("COMMIT")
        search_steps, other_steps = self._finishing()

        async def run(connection: asyncpg.Connection, statements: list[str]) -> None:
            for statement in statements:
                await connection.execute(statement)
                done(1)

        await asyncio.gather(run(search, search_steps), run(rows, other_steps))
        self.saved = []

    async def counts(self, tables: list[str]) -> dict[str, int]:
        rows, _ = self._connections()
        return {table: int(await rows.fetchval(f'SELECT count(*) FROM "{table}"')) for table in tables}  # noqa: S608

    async def grouped(self, column: str) -> dict[str, int]:
        rows, _ = self._connections()
        found = await rows.fetch(f"SELECT {column}, count(*) FROM tickets GROUP BY 1 ORDER BY 2 DESC")  # noqa: S608
        return {str(row[0]): int(row[1]) for row in found}

    async def count_tickets(self, condition: str) -> int:
        rows, _ = self._connections()
        return int(await rows.fetchval(f"SELECT count(*) FROM tickets WHERE {condition}"))  # noqa: S608

    async def size(self) -> int:
        rows, _ = self._connections()
        return int(await rows.fetchval("SELECT pg_database_size(current_database())"))


class SqliteLoader:
    def __init__(self, url: str) -> None:
        self.path = Path(url.split(":///", 1)[1])
        self.connection: sqlite3.Connection | None = None
        self.saved: list[str] = []

    async def open(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None)
        for pragma in (
            "journal_mode = OFF",  # a fresh database: nothing to roll back to; WAL again at the end
            "synchronous = OFF",
            "foreign_keys = OFF",
            "cache_size = -262144",
            "temp_store = MEMORY",
        ):
            connection.execute(f"PRAGMA {pragma}")
        self.connection = connection

    async def close(self) -> None:
        if self.connection is not None:
            self.connection.execute("PRAGMA journal_mode = WAL")
            self.connection.close()
            self.connection = None

    async def before_load(self, tables: tuple[str, ...]) -> int:
        """Save and drop the secondary indexes of `tables` and the triggers that feed the FTS5 table
        (rebuilt once at the end instead of row by row). Returns how many."""
        assert self.connection is not None
        marks = ",".join("?" * len(tables))
        found = self.connection.execute(
            f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL "  # noqa: S608
            "AND type IN ('index', 'trigger') ORDER BY type, name",
            tables,
        ).fetchall()
        for kind, name, sql in found:
            self.saved.append(sql)
            self.connection.execute(f'DROP {kind.upper()} "{name}"')
        return len(found)

    async def write(self, payload: Payload) -> None:
        assert self.connection is not None
        connection = self.connection
        connection.execute("BEGIN")
        for table, records in payload.items():
            if records:
                columns = COLUMNS[table]
                marks = ",".join("?" * len(columns))
                connection.executemany(
                    f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})",  # noqa: S608
                    records,
                )
        connection.execute("COMMIT")

    def finishing_steps(self) -> list[str]:
        """The saved indexes and triggers again, then the FTS5 index rebuilt from the documents (SQLite's
        INTEGER PRIMARY KEY continues after the largest id by itself: no sequences; and no ANALYZE)."""
        return [*self.saved, "INSERT INTO ticket_search_fts(ticket_search_fts) VALUES ('rebuild')"]

    async def after_load(self, done: Callable[[int], None]) -> None:
        assert self.connection is not None
        for statement in self.finishing_steps():
            self.connection.execute(statement)
            done(1)
        self.saved = []

    async def counts(self, tables: list[str]) -> dict[str, int]:
        assert self.connection is not None
        return {
            table: int(self.connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608
            for table in tables
        }

    async def grouped(self, column: str) -> dict[str, int]:
        assert self.connection is not None
        rows = self.connection.execute(f"SELECT {column}, count(*) FROM tickets GROUP BY 1 ORDER BY 2 DESC")  # noqa: S608
        return {str(value): int(count) for value, count in rows}

    async def count_tickets(self, condition: str) -> int:
        assert self.connection is not None
        return int(self.connection.execute(f"SELECT count(*) FROM tickets WHERE {condition}").fetchone()[0])  # noqa: S608

    async def size(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())


Loader = PostgresLoader | SqliteLoader


def loader_for(url: str) -> Loader:
    return SqliteLoader(url) if url.startswith("sqlite") else PostgresLoader(url)
