"""The command vocabulary: every PineConnector command, alias and macro, plus the words other formats use.

A :class:`Command` is a recipe of steps; :mod:`server.alerts.orders` turns the steps plus the alert's
parameters into :data:`contract.intent.Action` objects. Sources:

- PineConnector syntax page (docs.pineconnector.com/syntax, pineconnector.com/pages/syntax): market
  ``buy``/``sell`` and aliases ``long``/``bull``/``bullish``, ``short``/``bear``/``bearish``; pending
  ``buystop``/``buylimit``/``sellstop``/``selllimit``; ``closelong``/``closeshort``/``closelongshort``/
  ``closeall``/``closealleaoff``; ``cancellong``/``cancelshort``; ``newsltplong``/``newsltpshort``;
  v2 macros ``closelongbuy``/``closeshortsell``; ``eaon``/``eaoff``.
- PineConnector-compatible reimplementation ninad-k/ExecRelay (packages/parser-go/lookup.go, reference
  §1.3, secondary): ``closelongpct``/``closeshortpct``, ``closelongvol``/``closeshortvol``,
  ``newsltpbuystop``/... on pending orders, the v3 close-then-open macros and their short forms
  ``CL+OL``/``CL+OS``/``CS+OL``/``CS+OS``/``CLS+OL``/``CLS+OS``, and the cancel-then-place macros.
- Other formats only (``pineconnector=False``): TradersPost ``exit``/``cancel`` (docs.traderspost.io),
  StratoQuant alert types ``close_long``/``close_short``/``stop_loss``/``take_profit`` (the last two close the
  position), WunderTrading comment codes ``Enter-Long``/``Exit-Long``/``Exit-All``, TradingConnector
  ``closeall_on_ticker`` (tradingconnector.com/alertsyntax).

PineConnector commands are matched case-insensitively with spaces removed (reference §1.2, ExecRelay
``eqFoldASCII``); other formats also ignore ``_`` and ``-`` so ``close_long`` and ``Exit-Long`` match.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.intent import OrderKind, PositionSide, Side

LONG = (PositionSide.LONG,)
SHORT = (PositionSide.SHORT,)
BOTH = (PositionSide.LONG, PositionSide.SHORT)


@dataclass(frozen=True, slots=True)
class OpenStep:
    """Open a market position or place a pending order."""

    side: Side
    kind: OrderKind = OrderKind.MARKET


@dataclass(frozen=True, slots=True)
class CloseStep:
    """Close positions; ``portion`` says the amount comes from ``risk=`` as a percent or as lots."""

    sides: tuple[PositionSide, ...]
    all_symbols: bool = False
    include_pending: bool = False
    portion: str | None = None  # None, "pct" or "lots"


@dataclass(frozen=True, slots=True)
class CancelStep:
    """Delete pending orders of one or both sides."""

    sides: tuple[PositionSide, ...]


@dataclass(frozen=True, slots=True)
class ModifyStep:
    """Move SL/TP of positions, or of pending orders of one kind."""

    target: str  # "positions" or "orders"
    sides: tuple[PositionSide, ...]
    kinds: tuple[OrderKind, ...] = ()


@dataclass(frozen=True, slots=True)
class ControlStep:
    """Halt (``eaoff``) or resume (``eaon``) entries."""

    enabled: bool


Step = OpenStep | CloseStep | CancelStep | ModifyStep | ControlStep


@dataclass(frozen=True, slots=True)
class Command:
    """A named recipe. ``pineconnector`` is False for words PineConnector itself does not accept."""

    name: str
    steps: tuple[Step, ...]
    pineconnector: bool = True

    @property
    def open_step(self) -> OpenStep | None:
        """The entry step, if the command opens or places anything."""
        return next((s for s in self.steps if isinstance(s, OpenStep)), None)

    @property
    def is_pending(self) -> bool:
        """True when the entry is a limit/stop order (needs an entry price or distance)."""
        step = self.open_step
        return step is not None and step.kind != OrderKind.MARKET

    @property
    def modify_step(self) -> ModifyStep | None:
        """The SL/TP modification step (``newsltp*``), if any."""
        return next((s for s in self.steps if isinstance(s, ModifyStep)), None)

    @property
    def portion(self) -> str | None:
        """``"pct"``/``"lots"`` for partial closes (``closelongpct``/``closelongvol``), else None."""
        return next((s.portion for s in self.steps if isinstance(s, CloseStep) and s.portion), None)

    @property
    def needs_symbol(self) -> bool:
        """False for account-wide commands (``closeall``, ``eaon``/``eaoff``)."""
        return any(
            isinstance(s, OpenStep | CancelStep | ModifyStep) or (isinstance(s, CloseStep) and not s.all_symbols)
            for s in self.steps
        )


_BUY = OpenStep(Side.BUY)
_SELL = OpenStep(Side.SELL)
_CLOSE_ALL = CloseStep(BOTH, all_symbols=True, include_pending=True)


def _table() -> dict[str, Command]:
    pc: dict[str, tuple[Step, ...]] = {
        "buy": (_BUY,),
        "sell": (_SELL,),
        "buystop": (OpenStep(Side.BUY, OrderKind.STOP),),
        "buylimit": (OpenStep(Side.BUY, OrderKind.LIMIT),),
        "sellstop": (OpenStep(Side.SELL, OrderKind.STOP),),
        "selllimit": (OpenStep(Side.SELL, OrderKind.LIMIT),),
        "closelong": (CloseStep(LONG),),
        "closeshort": (CloseStep(SHORT),),
        "closelongshort": (CloseStep(BOTH),),
        "closeall": (_CLOSE_ALL,),
        "closealleaoff": (_CLOSE_ALL, ControlStep(enabled=False)),
        "closelongpct": (CloseStep(LONG, portion="pct"),),
        "closeshortpct": (CloseStep(SHORT, portion="pct"),),
        "closelongvol": (CloseStep(LONG, portion="lots"),),
        "closeshortvol": (CloseStep(SHORT, portion="lots"),),
        "cancellong": (CancelStep(LONG),),
        "cancelshort": (CancelStep(SHORT),),
        "newsltplong": (ModifyStep("positions", LONG),),
        "newsltpshort": (ModifyStep("positions", SHORT),),
        "newsltpbuystop": (ModifyStep("orders", LONG, (OrderKind.STOP,)),),
        "newsltpbuylimit": (ModifyStep("orders", LONG, (OrderKind.LIMIT,)),),
        "newsltpsellstop": (ModifyStep("orders", SHORT, (OrderKind.STOP,)),),
        "newsltpselllimit": (ModifyStep("orders", SHORT, (OrderKind.LIMIT,)),),
        "closelongbuy": (CloseStep(LONG), _BUY),
        "closeshortsell": (CloseStep(SHORT), _SELL),
        "closelongopenlong": (CloseStep(LONG), _BUY),
        "closelongopenshort": (CloseStep(LONG), _SELL),
        "closeshortopenlong": (CloseStep(SHORT), _BUY),
        "closeshortopenshort": (CloseStep(SHORT), _SELL),
        "closelongshortopenlong": (CloseStep(BOTH), _BUY),
        "closelongshortopenshort": (CloseStep(BOTH), _SELL),
        "cancellongbuystop": (CancelStep(LONG), OpenStep(Side.BUY, OrderKind.STOP)),
        "cancellongbuylimit": (CancelStep(LONG), OpenStep(Side.BUY, OrderKind.LIMIT)),
        "cancelshortsellstop": (CancelStep(SHORT), OpenStep(Side.SELL, OrderKind.STOP)),
        "cancelshortselllimit": (CancelStep(SHORT), OpenStep(Side.SELL, OrderKind.LIMIT)),
        "eaon": (ControlStep(enabled=True),),
        "eaoff": (ControlStep(enabled=False),),
    }
    pc_aliases = {
        "long": "buy", "bull": "buy", "bullish": "buy",
        "short": "sell", "bear": "sell", "bearish": "sell",
        "cl+ol": "closelongopenlong", "cl+os": "closelongopenshort",
        "cs+ol": "closeshortopenlong", "cs+os": "closeshortopenshort",
        "cls+ol": "closelongshortopenlong", "cls+os": "closelongshortopenshort",
    }  # fmt: skip
    other_aliases = {
        "enterlong": "buy", "entershort": "sell",
        "exitlong": "closelong", "exitshort": "closeshort",
        "exit": "closelongshort", "exitall": "closelongshort", "close": "closelongshort",
        "flat": "closelongshort", "closeboth": "closelongshort", "closeallonticker": "closelongshort",
        "stoploss": "closelongshort", "takeprofit": "closelongshort",
    }  # fmt: skip
    table = {name: Command(name, steps) for name, steps in pc.items()}
    for alias, target in pc_aliases.items():
        table[alias] = Command(target, pc[target])
    for alias, target in other_aliases.items():
        table[alias] = Command(target, pc[target], pineconnector=False)
    table["cancel"] = Command("cancel", (CancelStep(BOTH),), pineconnector=False)
    return table


COMMANDS: dict[str, Command] = _table()


def pineconnector_command(word: str) -> Command | None:
    """The PineConnector command ``word`` names (case and spaces ignored), or None."""
    command = COMMANDS.get(word.lower().replace(" ", ""))
    return command if command is not None and command.pineconnector else None


def fold_command(word: str) -> str:
    """``word`` folded for the lenient lookup: lower case without spaces, ``_`` and ``-``."""
    return word.lower().replace(" ", "").replace("_", "").replace("-", "")


def any_command(word: str) -> Command | None:
    """The command ``word`` names in JSON/key=value/plain text (also ``close_long``, ``Exit-Long``)."""
    return COMMANDS.get(fold_command(word)) if len(word) <= 40 else None
