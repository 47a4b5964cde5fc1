"""The conformance kit's own strength: contract violations put in front of a real server.

An HTTP proxy (aiohttp) stands between the kit and our server and breaks exactly one
rule of docs/contract.md at a time; the kit is then run against the proxy, and a
violation the kit does not fail on has survived. `python -m conformance.selftest`
runs every violation (`--fast`: the CI subset); README.md beside this file has the
score, the survivors and why.
"""
