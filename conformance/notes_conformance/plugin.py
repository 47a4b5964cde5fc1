"""The kit's pytest plugin: the server under test, the checks' fixtures, the run's record
and its clean-up, and what each check's result says about the rules it checks.

`notes-conformance` loads it (`-p notes_conformance.plugin`); our own suite loads it too,
then tests/api/ours.py, whose fixtures of the same names (our server, in-process, on a
fresh database) replace the ones here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Generator, Iterator

import pytest
import requests

# The helpers' asserts explain themselves like the checks' own (imported before collection).
pytest.register_assert_rewrite("notes_conformance.checks")

from notes_conformance import cleanup  # noqa: E402
from notes_conformance.checks.support import Api, unique  # noqa: E402
from notes_conformance.checks.tokens import add_token_options, v11_users  # noqa: E402
from notes_conformance.outcomes import Outcomes  # noqa: E402
from notes_conformance.recording import Recorder, recording, running  # noqa: E402
from notes_conformance.run import (  # noqa: E402
    HYPOTHESIS_PROFILE,
    outcomes_key,
    recorder_key,
    rules_of,
)

BASE_URL_ENV = "NOTES_BASE_URL"
__all__ = ["v11_users"]  # the v1.1 checks' fixture (checks/tokens.py)
NOT_TRUSTED_SKIP = (
    "needs a server that trusts this client's X-Forwarded-*/Forwarded headers "
    "(its NOTES_TRUSTED_PROXIES holds this client's address): --trusted-proxy"
)
TRUSTED_SKIP = "--trusted-proxy: the server believes this client's forwarded headers (OPS-13)"
EXCLUSIVE_SKIP = (
    "needs an empty database (TUT-1: a new one) and deletes every note first: "
    "--exclusive if the target's database is new and yours to wipe"
)
_recording_key = pytest.StashKey[contextlib.ExitStack]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("notes-conformance")
    # tests/conftest.py registers --base-url too, so that `pytest --base-url` works there.
    with contextlib.suppress(ValueError):
        group.addoption(
            "--base-url",
            default=None,
            help=f"the server under test (env: {BASE_URL_ENV})",
        )
    group.addoption(
        "--exclusive",
        action="store_true",
        help="the target's data is ours to wipe: run the checks that need an empty database",
    )
    group.addoption(
        "--keep-data",
        action="store_true",
        help="leave the notes the run created on the server (for debugging)",
    )
    group.addoption(
        "--rule",
        action="append",
        default=[],
        help="run only the checks of this rule id (repeatable); a prefix (LIST) selects a part",
    )
    group.addoption("--quick", action="store_true", help="leave out the schema-driven fuzzing")
    group.addoption(
        "--cors-origin",
        default=None,
        help="an origin the server's CORS configuration allows, '*' for any (v1.1 OPS-10, OPS-12)",
    )
    group.addoption(
        "--trusted-proxy",
        action="store_true",
        help="the server trusts this client's forwarded headers (v1.1 OPS-13 instead of OPS-14)",
    )
    add_token_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # notes-conformance loads it (--hypothesis-profile): the same requests on every run,
    # and no example database written into the user's folder.
    import hypothesis  # here: imported before pytest starts, it warns that it is not rewritten

    hypothesis.settings.register_profile(
        HYPOTHESIS_PROFILE,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    config.addinivalue_line(
        "markers", "rule(*ids): the contract rules (docs/contract.md) a check checks"
    )
    config.addinivalue_line(
        "markers", "norule(reason): a check of no rule, and why it is in the kit all the same"
    )
    config.addinivalue_line(
        "markers",
        "fresh_database: needs a database that holds no note (TUT-1: in which none was ever "
        "created); skipped unless --exclusive",
    )
    recorder = Recorder()
    config.stash[recorder_key] = recorder
    config.stash[outcomes_key] = Outcomes()
    stack = contextlib.ExitStack()
    stack.enter_context(recording(recorder))
    if config.getoption("hypothesis_profile", None) == HYPOTHESIS_PROFILE:
        # Hypothesis caches its own files under ./.hypothesis even with no example
        # database: a run of the kit leaves nothing in the user's folder.
        import hypothesis.configuration

        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="notes-conformance-"))
        hypothesis.configuration.set_hypothesis_home_dir(home)
        stack.callback(hypothesis.configuration.set_hypothesis_home_dir, None)
    config.stash[_recording_key] = stack


def pytest_unconfigure(config: pytest.Config) -> None:
    if _recording_key in config.stash:
        config.stash[_recording_key].close()


FUZZING_MODULES = ("test_schemathesis", "test_v11_schemathesis")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("exclusive"):
        # First, while the database is as it was given: TUT-1 needs one in which no note
        # was ever created (ids from 1), and the checks that need it are ordered so.
        items.sort(key=lambda item: item.get_closest_marker("fresh_database") is None)
    wanted = [rule.strip().upper() for rule in config.getoption("rule") if rule.strip()]
    quick = config.getoption("quick")
    if not wanted and not quick:
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__.rsplit(".", 1)[-1] if module is not None else ""
        rules = rules_of(item)
        chosen = not wanted or any(
            rule == want or rule.startswith(f"{want}-") for rule in rules for want in wanted
        )
        if quick and name in FUZZING_MODULES:
            chosen = False
        (kept if chosen else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# The check's id as it started: schemathesis renames a running test per operation.
_check_key = pytest.StashKey[str]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    item.stash[_check_key] = item.nodeid
    with running(item.nodeid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    check = item.stash.get(_check_key, item.nodeid)
    item.config.stash[outcomes_key].add(
        item, rules_of(item), report, item.config.stash[recorder_key].last.get(check)
    )
    return report


@pytest.fixture(scope="session")
def foreign_base_url(pytestconfig: pytest.Config) -> str | None:
    """The server given with ``--base-url``/``NOTES_BASE_URL``."""
    value = pytestconfig.getoption("base_url", default=None) or os.environ.get(BASE_URL_ENV)
    if not value or not value.strip():
        return None
    return value.strip().rstrip("/")


@pytest.fixture(scope="session")
def shared_base_url(pytestconfig: pytest.Config, foreign_base_url: str | None) -> str:
    """The server every check talks to; its newest note id is noted for the clean-up."""
    if foreign_base_url is None:
        pytest.fail(f"no server under test: give --base-url URL (env {BASE_URL_ENV})")
    pytestconfig.stash[recorder_key].newest_before = cleanup.newest_id(foreign_base_url)
    return foreign_base_url


@pytest.fixture(scope="session")
def keep_data(pytestconfig: pytest.Config) -> bool:
    """Whether the notes this run created stay on the server."""
    return bool(pytestconfig.getoption("keep_data"))


@pytest.fixture(scope="session", autouse=True)
def _delete_created_notes(pytestconfig: pytest.Config, keep_data: bool) -> Iterator[None]:
    """At the end of the run (also after Ctrl-C), the notes it created are deleted."""
    yield
    if not keep_data:
        recorder = pytestconfig.stash[recorder_key]
        target = pytestconfig.getoption("base_url", default=None) or os.environ.get(BASE_URL_ENV)
        if target:
            with contextlib.suppress(requests.RequestException, ValueError):
                cleanup.sweep_marked(target.strip().rstrip("/"), recorder)
        cleanup.delete_created(recorder)


@pytest.fixture
def base_url(request: pytest.FixtureRequest, shared_base_url: str) -> str:
    """The server this check talks to; for a ``fresh_database`` check, emptied first."""
    if request.node.get_closest_marker("fresh_database") is not None:
        if not request.config.getoption("exclusive"):
            pytest.skip(EXCLUSIVE_SKIP)
        cleanup.delete_every_note(shared_base_url)
    return shared_base_url


@pytest.fixture
def api(base_url: str) -> Iterator[Api]:
    session = requests.Session()
    session.trust_env = False
    with session:
        yield Api(base_url, session)


def given_cors_origin(config: pytest.Config) -> str | None:
    """An origin the server's CORS configuration allows (``--cors-origin``), if known."""
    value = config.getoption("cors_origin", default=None)
    return value.strip() if value and value.strip() else None


def if_trusting(config: pytest.Config, base_url: str) -> str:
    """`base_url`, when the user says it believes this client's forwarded headers."""
    if not config.getoption("trusted_proxy", default=False):
        pytest.skip(NOT_TRUSTED_SKIP)
    return base_url


@pytest.fixture(scope="session")
def cors_origin(pytestconfig: pytest.Config) -> str | None:
    return given_cors_origin(pytestconfig)


@pytest.fixture
def trusting_base_url(pytestconfig: pytest.Config, shared_base_url: str) -> str:
    """The server, when it believes this client's forwarded scheme and host (OPS-13)."""
    return if_trusting(pytestconfig, shared_base_url)


@pytest.fixture
def distrusting_base_url(pytestconfig: pytest.Config, shared_base_url: str) -> str:
    """The server, when it ignores this client's forwarded scheme and host (OPS-14)."""
    if pytestconfig.getoption("trusted_proxy", default=False):
        pytest.skip(TRUSTED_SKIP)
    return shared_base_url


@pytest.fixture
def owner() -> str:
    """A ``created_by`` no other check uses: the handle on this check's notes in a shared
    database, marked with the run's prefix."""
    return unique("owner")
