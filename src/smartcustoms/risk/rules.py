"""Risk rules: the selectivity criteria officers write, read safely and run on any data.

A rule's *condition* says which declaration items the rule selects, for example::

    origin in @high_risk_countries and hs6 startswith "8517"
    price / net_mass_kg < 10 and not national.process_type = "4000"
    (origin = "CN" or origin = "VN") and net_mass_kg is not null

The condition is read by a tokenizer and a parser written for this language alone: it is
never run as Python code, so a rule can only read the fields it names and compare them. A
compiled rule gives the same answer on one record (``CompiledRule.evaluate``) and on every
row of a Polars frame (``CompiledRule.expr``).

Grammar
-------
EBNF. Keywords (``and or not in is null true false startswith``) may be written in any
case; spaces and line breaks between words are free::

    rule       = condition ;
    condition  = all , { "or" , all } ;
    all        = negation , { "and" , negation } ;
    negation   = "not" , negation | test ;
    test       = value , [ compare | membership | prefix | null_test ] ;
    compare    = ( "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" ) , value ;
    membership = [ "not" ] , "in" , ( list | list_name ) ;
    prefix     = "startswith" , ( text | list | list_name ) ;
    null_test  = "is" , [ "not" ] , "null" ;
    value      = term , { ( "+" | "-" ) , term } ;
    term       = factor , { ( "*" | "/" ) , factor } ;
    factor     = "-" , factor | atom ;
    atom       = number | text | "true" | "false" | field | "(" , condition , ")" ;
    list       = "[" , item , { "," , item } , [ "," ] , "]" ;
    item       = text | [ "-" ] , number ;
    field      = name , { "." , name } ;      (* origin, national.process_type *)
    name       = ( a-z | "_" ) , { a-z | 0-9 | "_" } ;
    list_name  = "@" , ( letter | "_" ) , { letter | digit | "_" } ;  (* @high_risk *)
    number     = digit , { digit } , [ "." , digit , { digit } ]
                 , [ ( "e" | "E" ) , [ "+" | "-" ] , digit , { digit } ] ;
    text       = '"' , { character } , '"' | "'" , { character } , "'" ;

Field names are lower case and cannot be keywords; a dotted name such as
``national.process_type`` is one field (the record key or frame column of that name).
Inside a text, a backslash escapes the quote or the backslash: ``"say \\"hi\\""``,
``'O\\'Brien'``, ``"C:\\\\"``; a text cannot span lines. ``@name`` refers to a named list
of texts kept with the rules (list names are case-sensitive).

Precedence, tightest first: ``- x``; ``* /``; ``+ -``; comparisons, ``in``,
``startswith``, ``is null``; ``not``; ``and``; ``or``. So
``not a = 1 or b = 2 and c = 3`` means ``(not (a = 1)) or ((b = 2) and (c = 3))``.
Comparisons do not chain (``1 < x < 3`` is an error: write ``1 < x and x < 3``).

Meaning
-------
* Values are texts, numbers or ``true``/``false``. Texts compare exactly (``"cn"`` is not
  ``"CN"``) and order by Unicode code point. Numbers are decimal floating point (double
  precision): ``1 = 1.0``; integers and decimals mix freely.
* **Null**: a missing field, an empty (None) value and NaN are all *null*; an empty
  text ``""`` is a text, not null. A comparison,
  ``in``, ``not in`` or ``startswith`` with a null operand is **false**, and ``not``
  simply negates that false. So ``origin != "CN"`` does not select items without an
  origin, but ``not origin = "CN"`` does. Test for null with ``is null`` /
  ``is not null``; writing ``= null`` is an error.
* **Kinds**: a text never equals a number. Comparing two values whose kinds are known
  when the rule is written (``"CN" = 5``, ``price * 2 = "x"``) is an error; when a field
  holds a value of another kind than the one it is compared with, the comparison is false.
* Arithmetic (``+ - * /``, unary ``-``) works on numbers. Its result is null when an
  operand is null or not a number, when dividing by zero, and when the result is not a
  number (infinity minus infinity).
* ``x in [...]`` holds when x equals one of the values; ``x not in [...]`` when x is not
  null, of the list's kind and equal to none of them. A list written in the rule holds
  texts or numbers, not both; a named ``@list`` holds texts.
* ``x startswith "85"`` holds when the text x begins with ``"85"``; with a list, when it
  begins with any of its texts.

Limits: at most 2,000 characters (a caller may set another limit), 50 levels of nesting
(parentheses, ``not`` and unary ``-`` each open one) and 50 arithmetic operators in
one value (one side of a comparison). A rule
that breaks the grammar or a limit is refused with a message naming the column (and the
line, for a rule of several lines), e.g. ``expected a value after '=' at column 14``.
"""

from __future__ import annotations

import difflib
import enum
import math
import numbers
import operator
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, TypeAlias

import polars as pl
import polars.selectors as cs

from smartcustoms.errors import FieldError, InvalidInput

MAX_DEPTH: Final = 50
MAX_ARITHMETIC: Final = 50
KEYWORDS: Final = frozenset(
    {"and", "or", "not", "in", "is", "null", "true", "false", "startswith"})
COMPARISONS: Final = frozenset({"=", "==", "!=", "<", "<=", ">", ">="})
ARITHMETIC: Final = frozenset({"+", "-", "*", "/"})


class RuleSyntaxError(InvalidInput):
    """A rule's condition that does not follow the grammar, or breaks a limit."""

    code = "rule-invalid"
    title = "The rule's condition is not valid"

    def __init__(self, message: str, *, text: str, position: int, found: str | None = None,
                 hint: str | None = None) -> None:
        self.position = position
        self.line = text.count("\n", 0, position) + 1
        self.column = position - (text.rfind("\n", 0, position) + 1) + 1
        where = (f"line {self.line}, column {self.column}" if "\n" in text
                 else f"column {self.column}")
        detail = f"{message} at {where}"
        if found is not None:
            detail += f", found {found}"
        if hint is not None:
            detail += f" ({hint})"
        super().__init__(detail, errors=[FieldError("condition", detail, text)])


# --- values ---------------------------------------------------------------------------


class Kind(enum.Enum):
    TEXT = "text"
    NUMBER = "a number"
    BOOLEAN = "true/false"


_DTYPES: Final[dict[Kind, pl.DataType]] = {
    Kind.TEXT: pl.String(), Kind.NUMBER: pl.Float64(), Kind.BOOLEAN: pl.Boolean()}
_SELECTORS: Final = {Kind.TEXT: cs.string(include_categorical=True) | cs.enum(),
                     Kind.NUMBER: cs.numeric(), Kind.BOOLEAN: cs.boolean()}
_OTHER: Final = object()  # a record value of no rule kind (a date, a list): equals nothing


def _kind_of(value: Any) -> Kind | None:
    if isinstance(value, bool):
        return Kind.BOOLEAN
    if isinstance(value, str):
        return Kind.TEXT
    return Kind.NUMBER if isinstance(value, float) else None


def _normalize(value: Any) -> Any:
    """A record value as the rule sees it: None, str, bool, float (never NaN) or _OTHER."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, numbers.Real | Decimal):
        try:
            number = float(value)
        except OverflowError:  # an int beyond double range: what a Float64 column holds
            number = math.inf if value > 0 else -math.inf
        except ValueError:  # a signalling Decimal NaN
            return None
        return None if math.isnan(number) else number
    return _OTHER


# --- syntax tree ----------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    value: str | float | bool
    pos: int


@dataclass(frozen=True)
class Field:
    name: str
    pos: int


@dataclass(frozen=True)
class Negate:
    operand: Value
    pos: int


@dataclass(frozen=True)
class Arith:
    """``first op operand op operand ...`` of one precedence level, evaluated left to right.

    Flat rather than nested so that a long sum does not make a deep tree.
    """

    first: Value
    rest: tuple[tuple[str, Value], ...]
    pos: int


@dataclass(frozen=True)
class Compare:
    left: Value
    op: str  # one of = != < <= > >=
    right: Value
    pos: int


@dataclass(frozen=True)
class InList:
    operand: Value
    values: frozenset[Any]  # all str or all float, as `kind` says
    kind: Kind
    negated: bool
    pos: int


@dataclass(frozen=True)
class StartsWith:
    operand: Value
    prefixes: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class IsNull:
    operand: Value
    negated: bool
    pos: int


@dataclass(frozen=True)
class Not:
    operand: Condition
    pos: int


@dataclass(frozen=True)
class And:
    terms: tuple[Condition, ...]
    pos: int


@dataclass(frozen=True)
class Or:
    terms: tuple[Condition, ...]
    pos: int


Value: TypeAlias = Const | Field | Negate | Arith
Condition: TypeAlias = Compare | InList | StartsWith | IsNull | Not | And | Or | Const
Node: TypeAlias = Value | Compare | InList | StartsWith | IsNull | Not | And | Or
_CONDITIONS: Final = (Compare, InList, StartsWith, IsNull, Not, And, Or)


def _static_kind(node: Value) -> Kind | None:
    """The kind a value has whatever the record: None for a field (known only then)."""
    if isinstance(node, Const):
        return _kind_of(node.value)
    return None if isinstance(node, Field) else Kind.NUMBER


# --- tokens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # op, keyword, name, number, text, list, end
    text: str  # as written (keywords lower-cased)
    pos: int
    value: Any = None


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORDISH = re.compile(r"[A-Za-z0-9_.]*")
_TWO_CHAR_OPS: Final = frozenset({"==", "!=", "<=", ">="})
_ONE_CHAR_OPS: Final = frozenset("=<>+-*/()[],")
# Operators from other languages an officer may reach for, with what to write instead.
_WRONG_OPS: Final = {"=>": "did you mean '>='?", "=<": "did you mean '<='?",
                     "<>": "use '!='", "&&": "use 'and'", "||": "use 'or'",
                     "!": "use 'not' or '!='", "&": "use 'and'", "|": "use 'or'"}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        token = _next_token(text, i)
        tokens.append(token)
        i = token.pos + len(token.text)
    tokens.append(_Token("end", "", len(text.rstrip())))
    return tokens


def _next_token(text: str, i: int) -> _Token:
    ch, pair = text[i], text[i:i + 2]
    if ch in "\"'":
        return _scan_text(text, i)
    if ch == "@":
        return _scan_list_name(text, i)
    if name := _NAME.match(text, i):
        return _word(text, name.group(), i)
    if number := _NUMBER.match(text, i):
        return _scan_number(text, number.group(), i)
    if pair in _TWO_CHAR_OPS:
        return _Token("op", pair, i)
    if pair in _WRONG_OPS:
        raise RuleSyntaxError(f"unknown operator '{pair}'", text=text, position=i,
                              hint=_WRONG_OPS[pair])
    if ch in _ONE_CHAR_OPS:
        return _Token("op", ch, i)
    if ch in _WRONG_OPS:
        raise RuleSyntaxError(f"unknown operator '{ch}'", text=text, position=i,
                              hint=_WRONG_OPS[ch])
    raise RuleSyntaxError(f"unexpected character {ch!r}", text=text, position=i)


def _word(text: str, word: str, i: int) -> _Token:
    if "." not in word and word.lower() in KEYWORDS:
        return _Token("keyword", word.lower(), i)
    if text.startswith(".", i + len(word)):
        raise RuleSyntaxError("expected a name after '.'", text=text,
                              position=i + len(word) + 1)
    if word != word.lower():
        raise RuleSyntaxError(f"field names are lower case: '{word}'", text=text, position=i,
                              hint=f"write '{word.lower()}'")
    return _Token("name", word, i)


def _scan_number(text: str, digits: str, i: int) -> _Token:
    end = i + len(digits)
    if tail := _WORDISH.match(text, end).group():  # 1.2.3, 12abc, 1e
        raise RuleSyntaxError("malformed number", text=text, position=i,
                              found=f"'{digits + tail}'")
    value = float(digits)
    if math.isinf(value):
        raise RuleSyntaxError("number too large", text=text, position=i)
    return _Token("number", digits, i, value)


def _scan_list_name(text: str, i: int) -> _Token:
    name = _NAME.match(text, i + 1)
    if name is None or "." in name.group():
        raise RuleSyntaxError("expected a list name after '@'", text=text, position=i + 1)
    return _Token("list", "@" + name.group(), i, name.group())


def _scan_text(text: str, start: int) -> _Token:
    quote, chars, i = text[start], [], start + 1
    while i < len(text) and text[i] not in (quote, "\n"):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] != "\n":
            if text[i + 1] not in "\\\"'":
                raise RuleSyntaxError(f"unknown escape '\\{text[i + 1]}' in a text", text=text,
                                      position=i, hint="only \\\" \\' and \\\\ are escapes")
            i += 1
        chars.append(text[i])
        i += 1
    if i >= len(text) or text[i] != quote:
        raise RuleSyntaxError("unterminated text", text=text, position=start,
                              hint=f"the closing {quote} is missing on its line")
    return _Token("text", text[start:i + 1], start, "".join(chars))


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the rule"
    shown = token.text if len(token.text) <= 30 else token.text[:27] + "..."
    return shown if token.kind == "text" else f"'{shown}'"


# --- parser ---------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the tokens; each method parses one grammar production."""

    def __init__(self, text: str, lists: Mapping[str, Collection[str]] | None,
                 fields: Collection[str] | None) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.lists = lists
        self.allowed = None if fields is None else frozenset(fields)
        self.fields_read: set[str] = set()
        self.lists_read: set[str] = set()

    # token helpers

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.i += 1
        return token

    def at(self, kind: str, *texts: str) -> bool:
        token = self.peek()
        return token.kind == kind and (not texts or token.text in texts)

    def fail(self, message: str, token: _Token | None = None, *, found: bool = False,
             hint: str | None = None) -> RuleSyntaxError:
        token = token or self.peek()
        return RuleSyntaxError(message, text=self.text, position=token.pos,
                               found=_describe(token) if found else None, hint=hint)

    def enter(self, token: _Token) -> None:
        # Checked while descending, so that no input can exhaust Python's stack.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the rule nests more than {MAX_DEPTH} levels deep", token)

    # checks

    def condition(self, node: Node) -> Condition:
        """`node` where a condition is needed: a test, true/false or a combination."""
        if isinstance(node, _CONDITIONS) or (isinstance(node, Const)
                                             and isinstance(node.value, bool)):
            return node
        raise self.fail("expected a comparison (=, !=, <, <=, >, >=, in, not in, startswith,"
                        " is null)", found=True)

    def value(self, node: Node) -> Value:
        if isinstance(node, _CONDITIONS):
            raise RuleSyntaxError("expected a value, not a condition", text=self.text,
                                  position=node.pos)
        # Each operator nests the Polars expression one level deeper; Polars plans deep
        # expressions slowly and can overflow its stack.
        if _operators(node) > MAX_ARITHMETIC:
            raise RuleSyntaxError(f"more than {MAX_ARITHMETIC} arithmetic operators in the "
                                  "value", text=self.text, position=node.pos)
        return node

    def number(self, node: Node) -> Value:
        value = self.value(node)
        kind = _static_kind(value)
        if kind not in (None, Kind.NUMBER):
            raise RuleSyntaxError(f"arithmetic needs numbers, not {kind.value}",
                                  text=self.text, position=value.pos)
        return value

    # productions

    def rule(self) -> Condition:
        if self.at("end"):
            raise self.fail("the rule is empty: expected a condition")
        node = self.condition(self.disjunction())
        if self.at("op", ")"):
            raise self.fail("unmatched ')'", hint="there is no '(' to close")
        if not self.at("end"):
            raise self.fail("expected 'and', 'or' or the end of the rule", found=True,
                            hint=self.chained_hint(node))
        return node

    def chained_hint(self, node: Node) -> str | None:
        if isinstance(node, Compare) and self.peek().text in COMPARISONS:
            return "comparisons do not chain: write 'a < x and x < b'"
        return None

    def disjunction(self) -> Node:
        first = self.conjunction()
        if not self.at("keyword", "or"):
            return first
        terms = [self.condition(first)]
        while self.at("keyword", "or"):
            self.advance()
            terms.append(self.condition(self.conjunction()))
        return Or(tuple(terms), first.pos)

    def conjunction(self) -> Node:
        first = self.negation()
        if not self.at("keyword", "and"):
            return first
        terms = [self.condition(first)]
        while self.at("keyword", "and"):
            self.advance()
            terms.append(self.condition(self.negation()))
        return And(tuple(terms), first.pos)

    def negation(self) -> Node:
        if not self.at("keyword", "not"):
            return self.test()
        token = self.advance()
        self.enter(token)
        operand = self.condition(self.negation())
        self.depth -= 1
        return Not(operand, token.pos)

    def test(self) -> Node:
        left = self.sum()
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            return self.compare(left, token, self.sum())
        if token.kind != "keyword":
            return left
        if token.text == "in":
            self.advance()
            return self.membership(left, token, negated=False)
        if token.text == "not":
            self.advance()
            if not self.at("keyword", "in"):
                raise self.fail("expected 'in' after 'not'", found=True)
            return self.membership(left, self.advance(), negated=True)
        if token.text == "startswith":
            self.advance()
            return self.prefix(left, token)
        if token.text == "is":
            self.advance()
            negated = self.at("keyword", "not")
            if negated:
                self.advance()
            if not self.at("keyword", "null"):
                raise self.fail(f"expected 'null' after '{'is not' if negated else 'is'}'",
                                found=True)
            self.advance()
            return IsNull(self.value(left), negated, left.pos)
        return left

    def compare(self, left: Node, token: _Token, right: Node) -> Compare:
        lhs, rhs = self.value(left), self.value(right)
        lkind, rkind = _static_kind(lhs), _static_kind(rhs)
        if lkind and rkind and lkind is not rkind:
            raise self.fail(f"cannot compare {lkind.value} with {rkind.value}", token)
        return Compare(lhs, "=" if token.text == "==" else token.text, rhs, lhs.pos)

    def membership(self, left: Node, token: _Token, *, negated: bool) -> InList:
        operand = self.value(left)
        if self.at("op", "["):
            values = self.list_literal()
        elif self.at("list"):
            values = self.named_list(self.advance())
        else:
            raise self.fail(f"expected a list [...] or @name after '{token.text}'", found=True)
        kind = _kind_of(next(iter(values))) if values else Kind.TEXT
        assert kind is not None
        if (own := _static_kind(operand)) and own is not kind:
            raise self.fail(f"cannot look for {own.value} in a list of "
                            f"{'texts' if kind is Kind.TEXT else 'numbers'}", token)
        return InList(operand, frozenset(values), kind, negated, operand.pos)

    def prefix(self, left: Node, token: _Token) -> StartsWith:
        operand = self.value(left)
        if (own := _static_kind(operand)) not in (None, Kind.TEXT):
            raise self.fail(f"startswith needs text, not {own.value}", token)
        if self.at("text"):
            prefixes = [self.advance().value]
        elif self.at("op", "["):
            start = self.peek()
            prefixes = self.list_literal()
            if not all(isinstance(p, str) for p in prefixes):
                raise self.fail("startswith needs a list of texts", start)
        elif self.at("list"):
            prefixes = self.named_list(self.advance())
        else:
            raise self.fail("expected a text, a list [...] or @name after 'startswith'",
                            found=True)
        return StartsWith(operand, tuple(sorted(set(prefixes))), operand.pos)

    def list_literal(self) -> list[Any]:
        opening = self.advance()
        items: list[Any] = []
        while not self.at("op", "]"):
            items.append(self.list_item(items))
            if self.at("op", ","):
                self.advance()
            elif not self.at("op", "]"):
                raise self.fail("expected ',' or ']' in the list", found=True,
                                hint=f"the '[' at column {opening.pos + 1} is not closed")
        if not items:
            raise self.fail("a list needs at least one value")
        self.advance()
        return items

    def list_item(self, items: Sequence[Any]) -> Any:
        token, sign = self.peek(), 1.0
        if self.at("op", "-"):
            self.advance()
            sign = -1.0
            if not self.at("number"):
                raise self.fail("expected a number after '-' in the list", found=True)
        if not (self.at("text") or self.at("number")):
            raise self.fail("expected a text or a number in the list", found=True)
        item = self.advance().value
        item = item * sign + 0.0 if isinstance(item, float) else item
        if items and _kind_of(item) is not _kind_of(items[0]):
            raise self.fail("a list holds texts or numbers, not both", token)
        return item

    def named_list(self, token: _Token) -> list[str]:
        name = token.value
        if self.lists is None or name not in self.lists:
            close = difflib.get_close_matches(name, list(self.lists or ()), n=1)
            raise self.fail(f"unknown list '@{name}'", token,
                            hint=f"did you mean '@{close[0]}'?" if close else None)
        values = self.lists[name]
        if isinstance(values, str | bytes) or not all(isinstance(v, str) for v in values):
            raise self.fail(f"the list '@{name}' must hold texts only", token)
        self.lists_read.add(name)
        return list(values)

    def sum(self) -> Node:
        return self.chain(self.product, ("+", "-"))

    def product(self) -> Node:
        return self.chain(self.factor, ("*", "/"))

    def chain(self, operand: Callable[[], Node], ops: tuple[str, ...]) -> Node:
        first = operand()
        if not self.at("op", *ops):
            return first
        rest: list[tuple[str, Value]] = []
        start = self.number(first)
        while self.at("op", *ops):
            token = self.advance()
            rest.append((token.text, self.number(operand())))
        return self.number(Arith(start, tuple(rest), start.pos))

    def factor(self) -> Node:
        if not self.at("op", "-"):
            return self.atom()
        token = self.advance()
        self.enter(token)
        operand = self.number(self.factor())
        self.depth -= 1
        return Negate(operand, token.pos)

    def atom(self) -> Node:
        token = self.peek()
        if token.kind in ("number", "text"):
            self.advance()
            return Const(token.value, token.pos)
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            return Const(token.text == "true", token.pos)
        if token.kind == "keyword" and token.text == "null":
            raise self.fail("null can only be tested with 'is null' or 'is not null'")
        if token.kind == "name":
            self.advance()
            return self.field(token)
        if token.kind == "list" or (token.kind == "op" and token.text == "["):
            raise self.fail("a list can only follow 'in', 'not in' or 'startswith'")
        if token.kind == "op" and token.text == "(":
            return self.group()
        raise self.fail(self.expected_here(), found=True)

    def group(self) -> Node:
        opening = self.advance()
        self.enter(opening)
        node = self.disjunction()
        if not self.at("op", ")"):
            raise self.fail("expected ')'", found=True, hint=self.chained_hint(node)
                            or f"to close the '(' at column {opening.pos + 1}")
        self.advance()
        self.depth -= 1
        return node

    def expected_here(self) -> str:
        previous = self.tokens[self.i - 1] if self.i else None
        if previous is None:
            return "expected a condition"
        if previous.text in COMPARISONS or previous.text in ARITHMETIC:
            return f"expected a value after '{previous.text}'"
        if previous.text == "(":
            return "expected a condition or a value after '('"
        return f"expected a condition after {_describe(previous)}"

    def field(self, token: _Token) -> Field:
        name = token.text
        if self.allowed is not None and not _field_allowed(name, self.allowed):
            close = difflib.get_close_matches(name, sorted(self.allowed), n=1)
            raise self.fail(f"unknown field '{name}'", token,
                            hint=f"did you mean '{close[0]}'?" if close else None)
        self.fields_read.add(name)
        return Field(name, token.pos)


def _operators(node: Value) -> int:
    match node:
        case Negate(operand=operand):
            return _operators(operand)
        case Arith(first=first, rest=rest):
            return len(rest) + _operators(first) + sum(_operators(v) for _, v in rest)
    return 0


def _reads_fields(node: Node) -> bool:
    match node:
        case Field():
            return True
        case Const():
            return False
        case Arith(first=first, rest=rest):
            return _reads_fields(first) or any(_reads_fields(v) for _, v in rest)
        case Compare(left=left, right=right):
            return _reads_fields(left) or _reads_fields(right)
        case And(terms=terms) | Or(terms=terms):
            return any(_reads_fields(term) for term in terms)
        case (Negate(operand=operand) | Not(operand=operand) | IsNull(operand=operand)
              | InList(operand=operand) | StartsWith(operand=operand)):
            return _reads_fields(operand)
    raise AssertionError(f"not a node: {node!r}")


def _field_allowed(name: str, allowed: frozenset[str]) -> bool:
    # An entry "national.*" admits every national.<name>: national fields vary by country.
    return name in allowed or any(
        entry.endswith(".*") and name.startswith(entry[:-1]) for entry in allowed)


# --- evaluation on one record ---------------------------------------------------------

_ORDER: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
_ARITH: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _holds(node: Condition, record: Mapping[str, Any]) -> bool:
    match node:
        case Const(value=value):
            return bool(value)
        case And(terms=terms):
            return all(_holds(term, record) for term in terms)
        case Or(terms=terms):
            return any(_holds(term, record) for term in terms)
        case Not(operand=operand):
            return not _holds(operand, record)
        case Compare(left=left, op=op, right=right):
            a, b = _value(left, record), _value(right, record)
            kind = _kind_of(a)
            return kind is not None and kind is _kind_of(b) and bool(_ORDER[op](a, b))
        case InList(operand=operand, values=values, kind=kind, negated=negated):
            a = _value(operand, record)
            return _kind_of(a) is kind and (a in values) != negated
        case StartsWith(operand=operand, prefixes=prefixes):
            a = _value(operand, record)
            return isinstance(a, str) and a.startswith(prefixes)
        case IsNull(operand=operand, negated=negated):
            return (_value(operand, record) is None) != negated
    raise AssertionError(f"not a condition: {node!r}")


def _value(node: Value, record: Mapping[str, Any]) -> Any:
    match node:
        case Const(value=value):
            return value
        case Field(name=name):
            return _normalize(record.get(name))
        case Negate(operand=operand):
            a = _value(operand, record)
            return -a if isinstance(a, float) else None
        case Arith(first=first, rest=rest):
            result = _value(first, record)
            for op, operand in rest:
                result = _arith(op, result, _value(operand, record))
            return result
    raise AssertionError(f"not a value: {node!r}")


def _arith(op: str, a: Any, b: Any) -> float | None:
    if not (isinstance(a, float) and isinstance(b, float)) or (op == "/" and b == 0):
        return None
    result = _ARITH[op](a, b)
    return None if math.isnan(result) else result


# --- evaluation on a Polars frame -----------------------------------------------------
# Every value is read as one kind at a time: `_typed(node, kind)` is null wherever the
# row holds no value of that kind, so a mismatch is null and every comparison ends in
# fill_null(False), which is what `_holds` answers for null or mismatched operands.


def _expr(node: Condition) -> pl.Expr:
    if not _reads_fields(node):
        # The same on every row: a scalar, which Polars broadcasts. ("CN" in [...] built as
        # an expression would be a one-row column that cannot stand beside the others.)
        return pl.lit(_holds(node, {}))
    match node:
        case And(terms=terms):
            return pl.all_horizontal([_expr(term) for term in terms])
        case Or(terms=terms):
            return pl.any_horizontal([_expr(term) for term in terms])
        case Not(operand=operand):
            return ~_expr(operand)
        case Compare(left=left, op=op, right=right):
            return _compare_expr(left, op, right)
        case InList(operand=operand, values=values, kind=kind, negated=negated):
            found = _typed(operand, kind).is_in(
                pl.Series(sorted(values), dtype=_DTYPES[kind]).implode())
            return (~found if negated else found).fill_null(False)
        case StartsWith(operand=operand, prefixes=prefixes):
            return _startswith_expr(_typed(operand, Kind.TEXT), prefixes)
        case IsNull(operand=operand, negated=negated):
            null = _is_null_expr(operand)
            return ~null if negated else null
    raise AssertionError(f"not a condition: {node!r}")


def _compare_expr(left: Value, op: str, right: Value) -> pl.Expr:
    known = _static_kind(left) or _static_kind(right)
    # Two fields: try each kind; a row's values have one kind, so at most one is non-null.
    kinds = [known] if known else list(Kind)
    tried = [_ORDER[op](_typed(left, kind), _typed(right, kind)) for kind in kinds]
    return pl.coalesce([*tried, pl.lit(False)])


def _startswith_expr(text: pl.Expr, prefixes: tuple[str, ...]) -> pl.Expr:
    if not prefixes:
        return pl.lit(False)
    # One is_in per prefix length rather than one starts_with per prefix: a list of
    # hundreds of HS prefixes has only a handful of lengths.
    by_length: dict[int, list[str]] = {}
    for prefix in prefixes:
        by_length.setdefault(len(prefix), []).append(prefix)
    hits = [text.str.slice(0, length).is_in(pl.Series(group, dtype=pl.String).implode())
            for length, group in sorted(by_length.items())]
    return pl.any_horizontal(hits).fill_null(False)


def _is_null_expr(node: Value) -> pl.Expr:
    if isinstance(node, Const):
        return pl.lit(False)
    if isinstance(node, Field):  # null, or NaN in a numeric column
        nan = _column(node.name, Kind.NUMBER).is_nan()
        return (pl.col(node.name).is_null() | nan).fill_null(False)
    return _typed(node, Kind.NUMBER).is_null()


def _column(name: str, kind: Kind) -> pl.Expr:
    """The column as `kind`; all null when the column holds another kind."""
    # dtype_of is resolved when Polars plans the query, so the branch not taken costs
    # nothing; casting in both branches keeps either one well-typed for any column.
    dtype = _DTYPES[kind]
    return pl.when(pl.dtype_of(name).matches(_SELECTORS[kind])).then(
        pl.col(name).cast(dtype, strict=False)).otherwise(pl.lit(None, dtype))


def _typed(node: Value, kind: Kind) -> pl.Expr:
    """The value as `kind`, null where the row holds no value of that kind (or NaN)."""
    dtype = _DTYPES[kind]
    if isinstance(node, Field):
        typed = _column(node.name, kind)
    elif isinstance(node, Const):
        same = _kind_of(node.value) is kind
        return pl.lit(node.value if same else None, dtype)
    elif kind is Kind.NUMBER:
        typed = _number(node)
    else:
        return pl.lit(None, dtype)
    # NaN behaves like null through arithmetic (NaN in, NaN out), so turning it into null
    # once, where a value is used, matches _arith; doing it per operation nests
    # fill_nan, which Polars plans in exponential time.
    return typed.fill_nan(None) if kind is Kind.NUMBER else typed


def _number(node: Value) -> pl.Expr:
    match node:
        case Const(value=value):
            return pl.lit(value, pl.Float64)
        case Field(name=name):
            return _column(name, Kind.NUMBER)
        case Negate(operand=operand):
            return -_number(operand)
        case Arith(first=first, rest=rest):
            result = _number(first)
            for op, operand in rest:
                right = _number(operand)
                # replace(0.0, None) also catches -0.0 and names the divisor only once.
                result = result / right.replace(0.0, None) if op == "/" else _ARITH[op](
                    result, right)
            return result
    raise AssertionError(f"not a value: {node!r}")


# --- public API -----------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    """A rule's condition, checked and parsed: run it on records or on a Polars frame."""

    text: str
    fields: frozenset[str]  # the fields the condition reads
    lists: frozenset[str]  # the @lists it uses (their values are held in `tree`)
    tree: Condition = field(repr=False)

    def evaluate(self, record: Mapping[str, Any]) -> bool:
        """Whether the rule selects `record`; a missing key is null."""
        return _holds(self.tree, record)

    def expr(self) -> pl.Expr:
        """The rule as a Boolean Polars expression, never null, true on the rows
        `evaluate` selects. The frame must have a column for every name in `fields`.

        A rule that reads no field gives a literal: use it in ``filter`` or
        ``with_columns``, which broadcast it.
        """
        return _expr(self.tree)


def compile_rule(text: str, *, lists: Mapping[str, Collection[str]] | None = None,
                 fields: Collection[str] | None = None, max_length: int = 2000
                 ) -> CompiledRule:
    """Parse and check a rule's condition; raise RuleSyntaxError saying where it is wrong.

    `lists` are the named lists ``@name`` may use; `fields`, when given, the field names a
    rule may read (an entry ``national.*`` admits every ``national.<name>``).
    """
    if not isinstance(text, str):
        raise RuleSyntaxError("the rule must be text", text="", position=0)
    if len(text) > max_length:
        raise RuleSyntaxError(f"the rule exceeds {max_length} characters", text=text,
                              position=max_length)
    parser = _Parser(text, lists, fields)
    tree = parser.rule()
    return CompiledRule(text, frozenset(parser.fields_read), frozenset(parser.lists_read),
                        tree)
