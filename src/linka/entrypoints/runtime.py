"""The running Linka: settings, database, event bus and shared services, built once per process."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from linka.config import Settings
from linka.core.blobs import BlobStore
from linka.core.db import Database
from linka.core.events import EventBus
from linka.core.permissions import Actor
from linka.core.sealing import Sealer
from linka.core.uow import UnitOfWork, unit_of_work
from linka.domains.accounts.ratelimit import AuthLimiter, storage_uri
from linka.domains.accounts.tokens import LinkSigner
from linka.domains.chat.ratelimit import VisitorLimiter
from linka.domains.tickets import assignment_mail
from linka.domains.tickets import handlers as tickets_handlers


@dataclass
class Runtime:
    settings: Settings
    db: Database
    bus: EventBus = field(default_factory=EventBus)
    # Rate limits on logins, two-factor codes and reset requests (shared through Redis when configured).
    auth_limits: AuthLimiter = field(init=False)
    # Chat visitors' writes per visitor (shared through Redis when configured).
    visitor_limits: VisitorLimiter = field(init=False)
    # Attachment files (content-addressed, in LINKA_BLOB_DIR or data_dir/blobs).
    blobs: BlobStore = field(init=False)
    _links: LinkSigner | None = field(init=False, default=None, repr=False)
    _sealer: Sealer | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.auth_limits = AuthLimiter(
            per_account=self.settings.login_attempts_per_account,
            per_ip=self.settings.login_attempts_per_ip,
            storage=storage_uri(self.settings.redis_url),
        )
        self.visitor_limits = VisitorLimiter(storage_uri(self.settings.redis_url))
        self.blobs = BlobStore(self.settings.effective_blob_dir, max_bytes=self.settings.attachment_max_bytes)

    @property
    def links(self) -> LinkSigner:
        """Signs password-reset and invitation links (built on first use: it needs the secret key)."""
        if self._links is None:
            self._links = LinkSigner(
                secret=self.settings.secret(),
                base_url=self.settings.base_url,
                password_reset_max_age=self.settings.password_reset_max_age,
                invitation_max_age=self.settings.invitation_max_age,
            )
        return self._links

    @property
    def sealer(self) -> Sealer:
        """Seals mailbox passwords at rest (built on first use: it needs the secret key)."""
        if self._sealer is None:
            self._sealer = Sealer(self.settings.secret())
        return self._sealer

    def uow(self, actor: Actor) -> AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.db, actor, self.bus)

    async def close(self) -> None:
        await self.auth_limits.close()
        await self.visitor_limits.close()
        await self.db.dispose()


def build_runtime(settings: Settings, db: Database | None = None) -> Runtime:
    database = db or Database(
        settings.effective_database_url, echo=settings.db_echo, pool_size=settings.db_pool_size
    )
    runtime = Runtime(settings=settings, db=database)
    register_handlers(runtime.bus, base_url=settings.base_url)
    return runtime


def register_handlers(bus: EventBus, *, base_url: str = "http://127.0.0.1:8000") -> None:
    """Each domain's handlers subscribe here (automation, SLA, routing… as they arrive)."""
    tickets_handlers.register(bus)
    assignment_mail.register(bus, base_url=base_url)
