"""The built-in classification table: (code, exception class or None, message regex or None).

Order matters, the first match wins: cancellation and programming errors (by class)
first, then specific causes (budget, rate limits, authentication) before broad ones
(timeouts, network, 5xx); a bare ``ValueError`` is data validation only when no message
rule said more, so a ``ValueError`` that carries a 429 still counts as a rate limit.
Messages are searched case-insensitively.
"""

from __future__ import annotations

BUILTIN_RULES: tuple[tuple[str, str | None, str | None], ...] = (
    # cancelled
    ("cancelled", "DagsterExecutionInterruptedError", None),
    ("cancelled", "KeyboardInterrupt", None),
    ("cancelled", "CancelledError", None),
    ("cancelled", None, r"\b(?:run|step|job|task) (?:was )?(?:cancell?ed|terminated|interrupted)\b"),
    # code defects: programming errors are decided by class, before any message rule,
    # so KeyError('timeout') is a defect, not a timeout
    ("code_defect", None, r"(?:too many|not enough) values to unpack"),
    ("code_defect", "TypeError", None),
    ("code_defect", "KeyError", None),
    ("code_defect", "AttributeError", None),
    ("code_defect", "NameError", None),
    ("code_defect", "IndexError", None),
    ("code_defect", "ZeroDivisionError", None),
    ("code_defect", "AssertionError", None),
    ("code_defect", "NotImplementedError", None),
    ("code_defect", "RecursionError", None),
    ("code_defect", "SyntaxError", None),
    # budget
    ("budget_exceeded", "BudgetExceededError", None),
    ("budget_exceeded", "BudgetExceeded", None),
    ("budget_exceeded", None, r"\bbudget (?:exceeded|exhausted)\b|\bexceed(?:s|ed)? (?:the |its )?(?:token |cost )?budget\b"),
    # rate limits
    ("rate_limit", "RateLimitError", None),
    ("rate_limit", "ThrottlingException", None),
    ("rate_limit", "TooManyRequests", None),
    ("rate_limit", "ResourceExhausted", r"quota|rate"),
    ("rate_limit", None, r"\b429\b|rate[ _-]?limit|too many requests|quota exceeded|throttl"),
    # authentication
    ("authentication", "AuthenticationError", None),
    ("authentication", "PermissionDeniedError", None),
    ("authentication", "Unauthenticated", None),
    ("authentication", "PermissionDenied", None),
    ("authentication", None, r"\b40[13]\b|unauthori[sz]ed|forbidden|invalid (?:api[ _-]?key|credentials|token)"
                             r"|authentication (?:failed|error)|access denied|expired token|token (?:has )?expired"),
    # timeouts
    ("timeout", "TimeoutError", None),
    ("timeout", "TimeoutException", None),
    ("timeout", "ReadTimeout", None),
    ("timeout", "ConnectTimeout", None),
    ("timeout", "APITimeoutError", None),
    ("timeout", "DeadlineExceeded", None),
    ("timeout", None, r"timed? ?out|timeout|deadline exceeded"),
    # upstream 5xx
    ("upstream_5xx", "InternalServerError", None),
    ("upstream_5xx", "ServiceUnavailable", None),
    ("upstream_5xx", "APIStatusError", r"\b5\d\d\b"),
    ("upstream_5xx", None, r"\b5(?:00|02|03|04|29)\b|internal server error|bad gateway|service unavailable"
                           r"|gateway timeout|overloaded|server error"),
    # network
    ("network", "ConnectionError", None),
    ("network", "APIConnectionError", None),
    ("network", "ConnectError", None),
    ("network", "NetworkError", None),
    ("network", "RemoteProtocolError", None),
    ("network", "SSLError", None),
    ("network", "gaierror", None),
    ("network", None, r"connection (?:refused|reset|aborted|error)|name or service not known"
                      r"|temporary failure in name resolution|network is unreachable|no route to host"
                      r"|ssl: |certificate verify failed|broken pipe"),
    # resources
    ("resource_exhausted", "MemoryError", None),
    ("resource_exhausted", "OutOfMemoryError", None),
    ("resource_exhausted", None, r"out of memory|cannot allocate memory|no space left on device"
                                 r"|disk quota exceeded|too many open files|oom[- ]?kill"),
    # dependencies
    ("dependency_missing", "ModuleNotFoundError", None),
    ("dependency_missing", "ImportError", None),
    ("dependency_missing", "FileNotFoundError", None),
    ("dependency_missing", "DagsterExecutionLoadInputError", None),
    ("dependency_missing", None, r"no module named|command not found|no such file or directory"
                                 r"|executable .* not found|missing (?:upstream|input|dependency)"),
    # data validation
    ("data_validation", "DagsterTypeCheckDidNotPass", None),
    ("data_validation", "ValidationError", None),
    ("data_validation", "SchemaError", None),
    ("data_validation", "JSONDecodeError", None),
    ("data_validation", "UnicodeDecodeError", None),
    ("data_validation", "ArrowInvalid", None),
    ("data_validation", None, r"validation (?:error|failed)|schema mismatch|failed (?:data )?(?:quality )?check"
                              r"|invalid (?:input|value|row|record|data)|expected .* (?:column|field)"),
    ("data_validation", "ValueError", None),
)
