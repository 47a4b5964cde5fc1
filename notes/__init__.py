"""notes: a reference REST service on aiohttp and SQLAlchemy asyncio."""
