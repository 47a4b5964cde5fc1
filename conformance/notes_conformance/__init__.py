"""The notes conformance kit: any server of the contract (docs/contract.md), checked rule
by rule over HTTP. `notes-conformance http://host:port`; `notes-conformance --help`."""
