"""The auditors' questions of the audit log, answered, and each one audited before it is.

Rules:

1. Only auditors ask (the API refuses everyone else and audits the refusal). They see records:
   ids, rule ids, field names, hashes and tokens; never what a notification said.
2. A subject is given by a real identifier (NHS number, UPN, or an agency's own id for the
   person), turned into its pseudonym (:mod:`hub.pseudonyms`) and then into its audit token
   (:mod:`hub.audit._subjects`). The identifier itself goes no further: not into the log, not
   into the audit record of the query. A subject with no key (never audited, or erased) matches
   nothing.
3. Every query is an ``audit.queried`` record, committed before the answer is read, so that it
   is in the log the auditor is reading. It names the subject by its token, so a later query
   about the same subject finds the earlier queries too. If the record cannot be committed the
   query is not answered (:class:`~hub.StoreUnavailable`, a 503).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub._exceptions import InvalidQuery
from hub.audit import (
    ABOUT_A_SUBJECT,
    FOLLOW_UPS,
    AuditAction,
    AuditEntry,
    AuditQuery,
    ListedRecord,
    decode_cursor,
    disclosures,
    encode_cursor,
)
from hub.ports import AuditLog, AuditReader, Clock, SubjectKeys
from hub.pseudonyms import Pseudonymiser
from hub.validation import field_problems
from schemas import LA_CODE_PATTERN, NhsNumber, Upn, source_for_agency

__all__ = [
    "DisclosureRequest",
    "ExportRequest",
    "Inspection",
    "RecordFilters",
    "RecordsRequest",
    "SubjectIdentifier",
    "parse_request",
]

_AGENCY_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
_TYPE = r"^[a-z0-9][a-z0-9_.]{0,127}$"
MAX_PAGE = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SubjectIdentifier(_Strict):
    """One identifier of the person asked about: an NHS number, a UPN, an agency's own id, or a
    council's id for a child (``la_child_id`` with the council's ``la_code``)."""

    nhs_number: NhsNumber | None = Field(default=None, description="10 digits, check digit valid.")
    upn: Upn | None = Field(default=None, description="Unique Pupil Number, 13 characters.")
    local_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="An agency's own id for the person."
    )
    agency: str | None = Field(
        default=None, pattern=_AGENCY_ID, description="Whose id local_id is (with local_id only)."
    )
    la_child_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="A council's own id for a child (CIN LAchildID, SSDA903 CHILD).",
    )
    la_code: str | None = Field(
        default=None, pattern=LA_CODE_PATTERN, description="Whose id la_child_id is."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SubjectIdentifier:
        given = [self.nhs_number, self.upn, self.local_id, self.la_child_id]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of nhs_number, upn, local_id or la_child_id")
        if (self.local_id is None) != (self.agency is None):
            raise ValueError("local_id and agency go together")
        if (self.la_child_id is None) != (self.la_code is None):
            raise ValueError("la_child_id and la_code go together")
        return self

    @property
    def kind(self) -> str:
        """Which identifier this is (never its value)."""
        if self.nhs_number is not None:
            return "nhs_number"
        if self.upn is not None:
            return "upn"
        return "la_child_id" if self.la_child_id is not None else "local_id"

    def pseudonym(self, pseudonyms: Pseudonymiser) -> str:
        if self.nhs_number is not None:
            return pseudonyms.nhs(self.nhs_number)
        if self.upn is not None:
            return pseudonyms.upn(self.upn)
        if self.la_child_id is not None:
            return pseudonyms.la_child(self.la_code or "", self.la_child_id)
        return pseudonyms.local(source_for_agency(self.agency or ""), self.local_id or "")

    def council_pseudonym(self, pseudonyms: Pseudonymiser, council_la: str | None) -> str | None:
        """For a children's services agency's own id (``council_la`` its LA), the child's
        council-id pseudonym too: the router keys the child by both."""
        if self.local_id is None or council_la is None:
            return None
        return pseudonyms.la_child(council_la, self.local_id)


class RecordFilters(_Strict):
    """Which records: every filter given must hold (:mod:`hub.audit._query`)."""

    subject: SubjectIdentifier | None = None
    agency: str | None = Field(default=None, pattern=_AGENCY_ID, description="Actor or recipient.")
    notification_type: str | None = Field(default=None, pattern=_TYPE)
    actions: tuple[AuditAction, ...] | None = Field(default=None, min_length=1, max_length=32)
    since: AwareDatetime | None = Field(default=None, description="Recorded at or after.")
    until: AwareDatetime | None = Field(default=None, description="Recorded before.")

    @model_validator(mode="after")
    def _a_range(self) -> RecordFilters:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("since must be before until")
        return self


class RecordsRequest(RecordFilters):
    """A page of records."""

    limit: int = Field(default=100, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(default=None, max_length=512, description="next_cursor, as given.")


class ExportRequest(RecordFilters):
    """Every matching record, streamed."""

    format: Literal["jsonl", "csv"] = "jsonl"


class DisclosureRequest(_Strict):
    """Who was told what about one subject."""

    subject: SubjectIdentifier
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None


Model = TypeVar("Model", bound=BaseModel)


def parse_request(model: type[Model], body: bytes) -> Model:
    """``body`` as ``model``, or :class:`InvalidQuery` naming the fields (never their values)."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        problems = field_problems(exc)
        raise InvalidQuery(f"{len(problems)} field(s) failed validation", problems) from exc


class Inspection:
    """Answers auditors (rules 1-3)."""

    def __init__(
        self,
        reader: AuditReader,
        audit: AuditLog,
        subject_keys: SubjectKeys,
        pseudonyms: Pseudonymiser,
        clock: Clock,
    ) -> None:
        self._reader = reader
        self._audit = audit
        self._subject_keys = subject_keys
        self._pseudonyms = pseudonyms
        self._clock = clock

    async def _tokens(self, subject: SubjectIdentifier | None) -> frozenset[str] | None:
        if subject is None:
            return None
        token = await self._subject_keys.token(subject.pseudonym(self._pseudonyms))
        return frozenset() if token is None else frozenset({token})

    async def _asked(
        self,
        auditor: str,
        endpoint: str,
        filters: RecordFilters | DisclosureRequest,
        tokens: frozenset[str] | None,
        correlation_id: str | None,
        **more: Any,
    ) -> None:
        """Commit the query's own record before it is answered (rule 3)."""
        detail: dict[str, Any] = {"endpoint": endpoint, **more}
        if filters.subject is not None:
            detail["subject_by"] = filters.subject.kind
            detail["subject_known"] = bool(tokens)
            detail["subjects"] = sorted(tokens or ())
        if isinstance(filters, RecordFilters):
            for name in ("agency", "notification_type"):
                if getattr(filters, name) is not None:
                    detail[name] = getattr(filters, name)
            if filters.actions is not None:
                detail["actions"] = sorted(action.value for action in filters.actions)
        for name in ("since", "until"):
            value: datetime | None = getattr(filters, name)
            if value is not None:
                detail[name] = value.isoformat()
        await self._audit.record(
            AuditEntry(
                action=AuditAction.AUDIT_QUERIED,
                recorded_at=self._clock(),
                correlation_id=correlation_id,
                actor=auditor,
                detail=detail,
            )
        )

    @staticmethod
    def _query(filters: RecordFilters, tokens: frozenset[str] | None) -> AuditQuery:
        return AuditQuery(
            subjects=tokens,
            agency=filters.agency,
            notification_type=filters.notification_type,
            actions=None if filters.actions is None else frozenset(filters.actions),
            since=filters.since,
            until=filters.until,
        )

    async def records(
        self, auditor: str, request: RecordsRequest, correlation_id: str | None
    ) -> dict[str, Any]:
        """A page of records and the cursor of the next one (None after the last)."""
        tokens = await self._tokens(request.subject)
        query = self._query(request, tokens)
        await self._asked(
            auditor, "records", request, tokens, correlation_id, page=request.cursor is not None
        )
        after = None if request.cursor is None else decode_cursor(request.cursor, query)
        page = await self._reader.page(query, after=after, limit=request.limit + 1)
        more = len(page) > request.limit
        page = page[: request.limit]
        return {
            "records": [record.to_json() for record in page],
            "next_cursor": encode_cursor(page[-1].position, query) if more else None,
        }

    async def export(
        self, auditor: str, request: ExportRequest, correlation_id: str | None
    ) -> AsyncIterator[ListedRecord]:
        """Every matching record, in order; audited before the first is read."""
        tokens = await self._tokens(request.subject)
        await self._asked(auditor, "export", request, tokens, correlation_id, format=request.format)
        return self._reader.stream(self._query(request, tokens))

    async def disclosures(
        self, auditor: str, request: DisclosureRequest, correlation_id: str | None
    ) -> dict[str, Any]:
        """The disclosure view of one subject (:mod:`hub.audit._disclosure`)."""
        tokens = await self._tokens(request.subject)
        await self._asked(auditor, "disclosures", request, tokens, correlation_id)
        about = AuditQuery(
            subjects=tokens,
            actions=ABOUT_A_SUBJECT | FOLLOW_UPS,
            since=request.since,
            until=request.until,
        )
        named = [record async for record in self._reader.stream(about)]
        related = await self._reader.of_notifications(
            {
                (record.entry.actor, record.entry.notification_id)
                for record in named
                if record.entry.notification_id is not None
            }
        )
        return {
            "subject": {"by": request.subject.kind, "known": bool(tokens)},
            "notifications": [view.to_json() for view in disclosures(named, related)],
        }
