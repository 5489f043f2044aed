"""The online simulation: strategies learn only from what they inspect."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.errors import InvalidInput
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.simulate import SimulationOptions, simulate
from smartcustoms.risk.spec import load_spec


def test_learning_strategies_beat_random_and_random_is_reproducible(
        kcs_2021: sessionmaker[Session]) -> None:
    with kcs_2021() as session:
        frame = load_frame(session)
    options = SimulationOptions(strategies=["random", "engine"], last_weeks=10)
    report = simulate(frame, load_spec(), options)
    assert report.weeks == 26 and report.declarations == 16615
    random_, engine = report.results
    assert all(w.inspected == max(1, round(0.1 * w.declarations)) for w in engine.weeks)
    assert engine.precision_last > random_.precision_last + 0.2
    assert 0.1 < random_.precision_all < 0.35  # about the irregularity rate, 21 %
    again = simulate(frame, load_spec(), options.model_copy(update={"strategies": ["random"]}))
    assert again.results[0].weeks == random_.weeks


def test_bad_options_are_named(kcs_2021: sessionmaker[Session]) -> None:
    with kcs_2021() as session:
        frame = load_frame(session)
    with pytest.raises(InvalidInput) as exc:
        simulate(frame, load_spec(), SimulationOptions(strategies=["oracle"]))
    assert exc.value.errors[0].field == "strategies"
    with pytest.raises(InvalidInput) as exc:
        simulate(frame, load_spec(), SimulationOptions(explore="colour"))
    assert exc.value.errors[0].field == "explore"
    with pytest.raises(InvalidInput, match="warm-up"):
        simulate(frame, load_spec(), SimulationOptions(warmup_weeks=40))
