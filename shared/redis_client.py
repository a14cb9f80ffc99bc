"""The one way every service builds its Redis client: a pool that waits for a free connection.

redis-py's default pool raises at once when all its connections are busy; a burst of requests
released together (after a broker pause, say) then fails against a healthy Redis. A blocking pool
makes the caller wait up to `REDIS_POOL_TIMEOUT_S` for a connection instead.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

from shared.settings import RedisSettings


def redis_client(settings: RedisSettings) -> Redis:
    """A client over a blocking connection pool; `await client.aclose()` closes the pool too."""
    pool = BlockingConnectionPool.from_url(
        settings.url.get_secret_value(),
        max_connections=settings.max_connections,
        timeout=settings.pool_timeout_s,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
    )
    return Redis.from_pool(pool)
