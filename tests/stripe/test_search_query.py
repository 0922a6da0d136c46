"""The search query language as a plain module: parse tables, error tables, and properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakeservices.stripe.search import (
    MAX_CLAUSES,
    PARSE_ERROR,
    Clause,
    FieldType,
    QueryError,
    compile_text,
    page_after,
    page_token,
    parse,
    unsupported_field,
)

FIELDS = {
    "email": FieldType.STRING,
    "name": FieldType.STRING,
    "amount": FieldType.NUMERIC,
    "created": FieldType.NUMERIC,
    "status": FieldType.TOKEN,
    "disputed": FieldType.TOKEN,
    "billing_details.address.postal_code": FieldType.STRING,
}
JENNY: dict[str, Any] = {
    "email": "Jenny.Rosen@example.com",
    "name": "Jenny Rosen",
    "amount": 1500,
    "created": 1_700_000_000,
    "status": "succeeded",
    "disputed": False,
    "metadata": {"order": "6735", "tier": "gold"},
    "billing_details": {"address": {"postal_code": "94107"}},
}


@pytest.mark.parametrize(
    ("text", "clauses", "combinator"),
    [
        ("email:'a@b.c'", [Clause("email", None, ":", "a@b.c", quoted=True)], "AND"),
        ('email:"a b"', [Clause("email", None, ":", "a b", quoted=True)], "AND"),
        ("amount>=1000", [Clause("amount", None, ">=", "1000")], "AND"),
        ("-status:null", [Clause("status", None, ":", None, negated=True)], "AND"),
        (
            "metadata['k']:'v' OR name~\"jen\"",
            [
                Clause("metadata", "k", ":", "v", quoted=True),
                Clause("name", None, "~", "jen", quoted=True),
            ],
            "OR",
        ),
        (
            "  a:1   and  b:2 ",
            [Clause("a", None, ":", "1"), Clause("b", None, ":", "2")],
            "AND",
        ),
        ("a:1 b:2", [Clause("a", None, ":", "1"), Clause("b", None, ":", "2")], "AND"),
        (r"name:'O\'Brien'", [Clause("name", None, ":", "O'Brien", quoted=True)], "AND"),
        ('metadata["a b"]:null', [Clause("metadata", "a b", ":", None)], "AND"),
    ],
)
def test_parse(text: str, clauses: list[Clause], combinator: str) -> None:
    q = parse(text)
    assert (list(q.clauses), q.combinator) == (clauses, combinator)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "asdf",
        "email:",
        "email:jenny",  # a bare value must be a number or null
        "email:'unterminated",
        "a:1 AND b:2 OR c:3",  # AND and OR may not be mixed
        "a:1 b:2 OR c:3",  # a space is an AND
        "a:1 AND",
        "AND a:1",
        "(a:1 OR b:2)",
        "a:1b:2",
        "name['k']:'v'",
        "metadata[k]:'v'",
        " ".join(f"a:{i}" for i in range(MAX_CLAUSES + 1)),
    ],
)
def test_parse_errors(text: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(text)
    assert info.value.message == PARSE_ERROR


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("email:'jenny.rosen@example.com'", True),  # exact matching ignores case
        ("email:'jenny'", False),
        ("email~'rosen@'", True),
        ("name~'ROS'", True),
        ("amount>1000", True),
        ("amount>1500", False),
        ("amount>=1500 AND amount<=1500", True),
        ("amount:1500", True),
        ("amount='1500'", True),
        ("created<1700000001", True),
        ("status:'succeeded'", True),
        ("-status:'succeeded'", False),
        ("status:'failed' OR amount:1500", True),
        ("status:'failed' AND amount:1500", False),
        ("disputed:'false'", True),
        ("metadata['order']:'6735'", True),
        ('metadata["order"]:"6736"', False),
        ("metadata['missing']:null", True),
        ("-metadata['order']:null", True),
        ("metadata['order']:null", False),
        ("billing_details.address.postal_code:'94107'", True),
        ("billing_details.address.postal_code~'941'", True),
        ("-name:null", True),
    ],
)
def test_match(text: str, matches: bool) -> None:
    assert compile_text(text, FIELDS, "charges")(JENNY) is matches


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo:'bar'", unsupported_field("foo", "payment_intents")),
        ("status~'succ'", PARSE_ERROR),  # substring only on string fields
        ("name~'je'", PARSE_ERROR),  # at least 3 characters
        ("status>'a'", PARSE_ERROR),  # comparators only on numeric fields
        ("amount>'a lot'", PARSE_ERROR),
        ("amount>null", PARSE_ERROR),
    ],
)
def test_compile_errors(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        compile_text(text, FIELDS, "payment_intents")
    assert info.value.message == message


def test_unsupported_field_text() -> None:
    # as the real API answers (stripe-ruby-mock's live tests, prices/products)
    assert unsupported_field("foo", "payment_intents") == (
        "Field `foo` is an unsupported search field for resource `payment_intents`. See "
        "http://stripe.com/docs/search#query-fields-for-payment-intents for a list of supported "
        "fields."
    )


def test_page_token_round_trip() -> None:
    assert page_after(page_token("cus_123")) == "cus_123"
    assert page_after("not a token!") is None
    assert page_after(page_token("x")[:-3]) is None


# -- properties ----------------------------------------------------------------------------
_VALUES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=3,
    max_size=12,
)
_CLAUSE = st.builds(
    lambda field, value, neg, quote: (field, value, neg, quote),
    st.sampled_from(["email", "name", "status"]),
    _VALUES,
    st.booleans(),
    st.sampled_from(["'", '"']),
)


def _render(field: str, value: str, neg: bool, quote: str) -> str:
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return f"{'-' if neg else ''}{field}:{quote}{escaped}{quote}"


@given(st.lists(_CLAUSE, min_size=1, max_size=MAX_CLAUSES), st.sampled_from(["AND", "OR", " "]))
def test_rendered_clauses_parse_back(clauses: list[Any], join: str) -> None:
    sep = " " if join == " " else f" {join} "
    q = parse(sep.join(_render(*c) for c in clauses))
    assert [(c.field, c.value, c.negated) for c in q.clauses] == [
        (f, v, n) for f, v, n, _ in clauses
    ]
    assert q.combinator == ("AND" if join == " " or len(clauses) == 1 else join)


_OBJ = st.fixed_dictionaries(
    {
        "amount": st.integers(0, 3000),
        "status": st.sampled_from(["succeeded", "failed"]),
        "name": st.sampled_from(["Jenny Rosen", "Amy", None]),
    }
)
_ATOM = st.sampled_from(
    ["amount>1000", "amount<=500", "status:'failed'", "name~'jen'", "name:null", "amount:42"]
)


@given(_OBJ, st.lists(_ATOM, min_size=1, max_size=5), st.sampled_from(["AND", "OR"]))
def test_combinators_and_negation_agree_with_the_clauses(
    obj: dict[str, Any], atoms: list[str], join: str
) -> None:
    singles = [compile_text(a, FIELDS, "charges")(obj) for a in atoms]
    whole = compile_text(f" {join} ".join(atoms), FIELDS, "charges")(obj)
    assert whole is (all(singles) if join == "AND" else any(singles))
    for atom, alone in zip(atoms, singles, strict=True):
        assert compile_text("-" + atom, FIELDS, "charges")(obj) is (not alone)
