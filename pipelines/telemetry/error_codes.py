"""The twelve JobLens error codes: title, transient flag and remediation, documented in docs/errors.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    """One documented kind of failure."""

    code: str
    title: str
    transient: bool
    remediation: str
    doc_url: str = ""

    def __post_init__(self) -> None:
        if not self.doc_url:
            object.__setattr__(self, "doc_url", f"docs/errors.md#{self.code}")


_CODES = (
    ErrorCode(
        "timeout", "Timeout", True,
        "A call did not answer within its deadline. Retry with backoff first; if the same step times out "
        "repeatedly, check the latency of the service it calls, raise the timeout only for genuinely long "
        "operations, and split large requests into smaller batches.",
    ),
    ErrorCode(
        "rate_limit", "Rate limited", True,
        "The provider refused the request because too many were sent (HTTP 429 or a quota message). Retry "
        "after the delay the provider asks for, lower the step's concurrency, batch requests, or ask the "
        "provider for a higher quota.",
    ),
    ErrorCode(
        "authentication", "Authentication failed", False,
        "Credentials were missing, expired, revoked or lacked permission (HTTP 401/403). Retrying will not "
        "help: rotate or re-issue the key, check the environment variable or secret the job reads, and "
        "confirm the account has access to the resource or model.",
    ),
    ErrorCode(
        "network", "Network error", True,
        "The connection failed before a response arrived: DNS failure, refused or reset connection, TLS "
        "error. Retry with backoff; if it persists, check the host name, proxy and firewall settings and "
        "whether the remote service is up.",
    ),
    ErrorCode(
        "upstream_5xx", "Upstream server error", True,
        "The remote service answered with a server error (HTTP 5xx, overloaded, bad gateway). The fault is "
        "on their side: retry with backoff, watch the provider's status page, and consider a fallback "
        "model or endpoint for critical jobs.",
    ),
    ErrorCode(
        "data_validation", "Data validation failed", False,
        "Input or output data did not meet its contract: a schema mismatch, a missing or malformed field, "
        "a failed type check or data quality test. Inspect the step's input snapshot, fix the data at its "
        "source or the contract, then re-execute from the failed step.",
    ),
    ErrorCode(
        "resource_exhausted", "Resource exhausted", False,
        "The step ran out of memory, disk or another local resource. Check the step's peak memory in "
        "JobLens, process data in chunks or streams, free disk space, or run the step on a larger worker.",
    ),
    ErrorCode(
        "dependency_missing", "Dependency missing", False,
        "Something the step needs is not there: a Python module, a binary, an input file or an upstream "
        "output. Install the package in the code location's environment, or make sure the upstream job "
        "ran and produced what this step reads.",
    ),
    ErrorCode(
        "budget_exceeded", "Budget exceeded", False,
        "The job stopped because it reached its token or cost budget. Review the step's model calls and "
        "cost in JobLens, use a cheaper model or smaller prompts, or raise the team's budget deliberately.",
    ),
    ErrorCode(
        "cancelled", "Cancelled", False,
        "The run or step was stopped on purpose: by a user, a cancel request, a termination signal or a "
        "timeout set on the run. Nothing to fix unless the cancellation was unexpected; check who or what "
        "requested it in the run's control log.",
    ),
    ErrorCode(
        "code_defect", "Code defect", False,
        "A programming error in the job's own code (a TypeError, KeyError, AttributeError, failed "
        "assertion and the like). Retrying will fail the same way: read the stack trace and the step's "
        "snapshots, fix the code, and re-execute from the failed step.",
    ),
    ErrorCode(
        "unknown", "Unclassified error", False,
        "No classification rule matched this failure. Read the message and stack trace; if the failure "
        "recurs, add a rule for it in your error rules file so it is grouped and retried correctly.",
    ),
)

ERROR_CODES: dict[str, ErrorCode] = {code.code: code for code in _CODES}
