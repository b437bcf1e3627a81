"""No input makes a statement reader fail with anything but StatementError: random bytes, and every sample mangled.

A user who feeds a wrong or damaged file must get a message naming the file, never a traceback; and a
file that reads must hold only positive payments with unique ids.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbridge.adapters.statements import StatementError, read_bytes, read_statement
from creditbridge.adapters.statements.detect import detect_format
from creditbridge.adapters.statements.payment_ids import assign_ids

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.suffix != ".toml" and p.name != "lockbox_custom_layout.txt")
SAMPLE_BYTES = [p.read_bytes() for p in SAMPLE_FILES]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_refuse(data: bytes) -> None:
    try:
        statement = read_bytes(data, "input.dat")
    except StatementError as exc:
        assert str(exc).startswith("input.dat")
        return
    ids = [t.transaction_id for t in statement.transactions]
    assert len(ids) == len(set(ids))
    assert all(t.amount.amount > 0 for t in statement.transactions)


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLE_BYTES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "delete", "insert", "replace", "truncate", "duplicate_line"]))
        if action == "cut":
            del data[at:]
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12) | st.sampled_from(
                [b",", b"/", b":61:", b"\n88,", b"<Ntry>", b"</Amt>", b"&amp;", b"?2", b"\r\n", b"-1", b"999"]))
        elif action == "replace" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif action == "truncate":
            data = data[: len(data) * draw(st.integers(1, 9)) // 10]
        else:
            lines = bytes(data).split(b"\n")
            if lines:
                index = draw(st.integers(0, len(lines) - 1))
                lines.insert(index, lines[index])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_are_refused_with_a_statement_error(data):
    read_or_refuse(data)


@FAST
@given(st.sampled_from([b"01,", b":20:X\n:25:Y\n", b"<Document>", b"payment_id,amount\n", b"6", b"1"]),
       st.binary(max_size=300))
def test_random_bytes_behind_each_format_signature_are_refused(prefix, data):
    read_or_refuse(prefix + data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_samples_are_read_or_refused_never_crash(data):
    read_or_refuse(data)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_reads_and_its_format_is_known_from_content(path):
    assert detect_format(path.read_bytes()) is not None
    assert read_statement(path).transactions


def test_a_file_in_no_known_format_is_refused_with_the_formats_we_read(tmp_path):
    path = tmp_path / "statement.xml"
    path.write_text("Date;Amount;Text\n30.11.2026;100,00;Payment\n")
    with pytest.raises(StatementError, match="not a statement format creditbridge reads: expected ISO 20022"):
        read_statement(path)


def test_a_missing_file_is_a_statement_error(tmp_path):
    with pytest.raises(StatementError, match="cannot read the file"):
        read_statement(tmp_path / "nowhere.xml")


@FAST
@given(st.lists(st.tuples(st.lists(st.sampled_from(["A", "B", "NOTPROVIDED", "NONREF", "", None, "A-1-1"]),
                                   max_size=3),
                          st.sampled_from(["A-1-1", "A-1-2", "A", "S-2-1"])), max_size=12))
def test_payment_ids_are_unique_even_when_references_repeat_or_collide_with_fallbacks(payments):
    ids = assign_ids([refs for refs, _ in payments], [fallback for _, fallback in payments])
    assert len(ids) == len(set(ids)) == len(payments)
    assert not {"NOTPROVIDED", "NONREF", ""} & set(ids)
