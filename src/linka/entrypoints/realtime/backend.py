"""The pub/sub behind live updates: Litestar Channels, in memory for one process, Redis for several."""

from __future__ import annotations

from litestar.channels import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis

from linka.config import Settings

CHANNEL = "linka"  # one channel: messages say what they are ("kind")
REDIS_PREFIX = "linka:channels"


def channels_backend(settings: Settings) -> ChannelsBackend:
    if settings.redis_url:
        return RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url), key_prefix=REDIS_PREFIX)
    return MemoryChannelsBackend()
