"""A grammar for the regression formulas users may write in parameters, checked before any parser sees them.

pyfixest hands the terms of a formula to formulaic, which evaluates Python expressions: a formula taken
from a parameter file (or ``-p``) could run arbitrary code. A formula from parameters is therefore parsed
here by a small grammar of column names and whitelisted transforms and rebuilt from its tokens; only the
rebuilt text reaches pyfixest. Nothing is evaluated. Written by hand because no maintained package offers
a non-evaluating validator for the fixest formula syntax.

Grammar (whitespace free)::

    formula   := response "~" terms ["|" fixed]
    response  := value
    terms     := term ("+" term)*          (a term "0" or "1" sets the intercept)
    term      := value ((":" | "*") value)*
    value     := NAME | FUNC "(" NAME ")" | "C(" NAME ")" | "i(" NAME ["," NAME] ["," "ref" "=" LITERAL] ")"
    fixed     := NAME ("^" NAME)* ("+" NAME ("^" NAME)*)*

``FUNC`` is one of ``log``, ``np.log``, ``log1p``, ``np.log1p``, ``exp``, ``np.exp``, ``sqrt``,
``np.sqrt``. ``NAME`` is a column name: a letter or underscore, then letters, digits or underscores.
``LITERAL`` is a number or a quoted string of letters, digits, spaces, ``_``, ``-`` and ``.``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import FormulaError

TRANSFORMS = ("log", "np.log", "log1p", "np.log1p", "exp", "np.exp", "sqrt", "np.sqrt")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>np\.[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'[A-Za-z0-9_ .\-]*'|"[A-Za-z0-9_ .\-]*")
      | (?P<op>[~|+:*^(),=])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Formula:
    """A formula accepted by the grammar.

    Attributes
    ----------
    text : str
        The formula rebuilt from its tokens (what is passed on to pyfixest).
    response : str
        The column of the dependent variable.
    regressor_columns : list of str
        Every column the regressors use, in order of first appearance.
    fixed_effects : list of list of str
        One list of columns per fixed-effect term (``a^b`` gives ``["a", "b"]``).
    terms : list of (str, tuple of str)
        Each regressor term's text and the columns it uses (``log(distance)`` → ``("distance",)``).
    """

    text: str
    response: str
    regressor_columns: list[str] = field(default_factory=list)
    fixed_effects: list[list[str]] = field(default_factory=list)
    terms: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """Every column the formula names (response, regressors, fixed effects), without repeats."""
        seen: list[str] = []
        for name in [self.response, *self.regressor_columns, *(c for term in self.fixed_effects for c in term)]:
            if name not in seen:
                seen.append(name)
        return seen


def _tokens(text: str, where: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise FormulaError(
                f"{where}: formula {text!r}: character {stripped[position:].lstrip()[:1]!r} at position "
                f"{position} is not allowed (columns, + : * ^ | ~, and the transforms {', '.join(TRANSFORMS)}, C(), i())"
            )
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, where: str):
        self.text, self.where = text, where
        self.tokens = _tokens(text, where)
        self.position = 0
        self.columns: list[str] = []
        self.term_columns: list[str] = []

    def fail(self, rule: str) -> FormulaError:
        found = self.tokens[self.position][1] if self.position < len(self.tokens) else "the end"
        return FormulaError(f"{self.where}: formula {self.text!r}: {rule}, found {found!r}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise self.fail(f"expected {value or kind}")
        self.position += 1
        return token[1]

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] == value

    def column(self) -> str:
        name = self.take("name")
        if name.startswith("np.") or name in ("C", "i", "I"):
            self.position -= 1
            raise self.fail("expected a column name")
        if name not in self.columns:
            self.columns.append(name)
        if name not in self.term_columns:
            self.term_columns.append(name)
        return name

    def value(self) -> str:
        token = self.peek()
        if token is None or token[0] != "name":
            raise self.fail("expected a column or a transform")
        name = token[1]
        following = self.tokens[self.position + 1] if self.position + 1 < len(self.tokens) else None
        if following != ("op", "("):
            return self.column()
        self.position += 2
        if name in TRANSFORMS or name == "C":
            inner = self.column()
            self.take("op", ")")
            return f"{name}({inner})"
        if name == "i":
            parts = [self.column()]
            while self.at(","):
                self.take("op", ",")
                if self.peek() == ("name", "ref"):
                    self.take("name")
                    self.take("op", "=")
                    token = self.peek()
                    if token is None or token[0] not in ("number", "string"):
                        raise self.fail("expected a number or a quoted string after ref=")
                    self.position += 1
                    parts.append(f"ref={token[1]}")
                    break
                parts.append(self.column())
            self.take("op", ")")
            return f"i({', '.join(parts)})"
        self.position -= 2
        raise self.fail(f"{name}() is not an allowed transform (allowed: {', '.join(TRANSFORMS)}, C, i)")

    def term(self) -> tuple[str, tuple[str, ...]]:
        token = self.peek()
        if token is not None and token[0] == "number" and token[1] in ("0", "1"):
            self.position += 1
            return token[1], ()
        self.term_columns = []
        text = self.value()
        while self.at(":") or self.at("*"):
            operator = self.take("op")
            text += f"{operator}{self.value()}"
        return text, tuple(self.term_columns)

    def parse(self) -> Formula:
        response_text = self.value()
        response = self.columns[0]
        self.take("op", "~")
        self.columns = []
        terms = [self.term()]
        while self.at("+"):
            self.take("op", "+")
            terms.append(self.term())
        regressor_columns, self.columns = self.columns, []
        fixed: list[list[str]] = []
        if self.at("|"):
            self.take("op", "|")
            while True:
                group = [self.column()]
                while self.at("^"):
                    self.take("op", "^")
                    group.append(self.column())
                fixed.append(group)
                if not self.at("+"):
                    break
                self.take("op", "+")
        if self.peek() is not None:
            raise self.fail("expected the end of the formula (IV parts and a second '|' are not supported)")
        text = f"{response_text} ~ {' + '.join(t for t, _ in terms)}"
        if fixed:
            text += " | " + " + ".join("^".join(group) for group in fixed)
        return Formula(text=text, response=response, regressor_columns=regressor_columns, fixed_effects=fixed,
                       terms=terms)


def parse_formula(text: str, *, where: str = "formula") -> Formula:
    """Parse a fixest-style formula with the grammar above, evaluating nothing.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"value ~ ln_distance + contiguity + rta | exp_year + imp_year"``.
    where : str
        What to name in an error (a parameter key such as ``exports.gravity_formula``).

    Returns
    -------
    Formula
        The parsed formula; ``Formula.text`` is rebuilt from the accepted tokens.

    Raises
    ------
    FormulaError
        When the text leaves the grammar; the message names ``where``, the formula and the offending token.

    Examples
    --------
    >>> parse_formula("value ~ np.log(distance) + rta | exp_year + imp_year").fixed_effects
    [['exp_year'], ['imp_year']]
    >>> parse_formula("y ~ x + eval(x)")
    Traceback (most recent call last):
    ...
    agrocluster.errors.FormulaError: formula: formula 'y ~ x + eval(x)': eval() is not an allowed transform ...
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(f"{where}: a formula must be a non-empty string like 'y ~ x1 + x2 | fe1 + fe2'")
    if len(text) > 2_000:
        raise FormulaError(f"{where}: formula of {len(text):,} characters; at most 2,000 are accepted")
    return _Parser(text, where).parse()


def without_columns(formula: Formula, columns: set[str] | list[str]) -> Formula | None:
    """``formula`` with every regressor term that uses one of ``columns`` left out (response and fixed
    effects unchanged); None when no regressor term would remain.

    >>> f = parse_formula("value ~ ln_distance + contiguity + rta | exp_year + imp_year")
    >>> without_columns(f, {"rta"}).text
    'value ~ ln_distance + contiguity | exp_year + imp_year'
    >>> without_columns(parse_formula("y ~ rta"), ["rta"]) is None
    True
    """
    kept = [text for text, used in formula.terms if not set(used) & set(columns)]
    if not [t for t in kept if t not in ("0", "1")]:
        return None
    response = formula.text.split("~", 1)[0].strip()
    text = f"{response} ~ {' + '.join(kept)}"
    if formula.fixed_effects:
        text += " | " + " + ".join("^".join(group) for group in formula.fixed_effects)
    return parse_formula(text)
