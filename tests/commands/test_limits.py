"""The command cooldown on its own, with an injected clock: bursts, one warning, silence, and recovery."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.limits import Admission, Bucket, CommandLimiter

ADMIT, WARN, DROP = Admission.ADMIT, Admission.WARN, Admission.DROP


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **kw: object) -> CommandLimiter:
    return CommandLimiter(per_user=Bucket(3, 2.0), per_chat=Bucket(5, 3.0), clock=clock, **kw)  # type: ignore[arg-type]


def test_a_burst_then_one_warning_then_silence_until_a_token_returns() -> None:
    clock = Clock()
    lim = limiter(clock)
    assert [lim.check("9", "9", "help") for _ in range(6)] == [ADMIT, ADMIT, ADMIT, WARN, DROP, DROP]
    clock.now += 2.0
    assert [lim.check("9", "9", "help") for _ in range(3)] == [ADMIT, WARN, DROP], "warned again after a pause"


def test_the_chat_bucket_is_shared_by_its_members() -> None:
    clock = Clock()
    lim = limiter(clock)
    verdicts = [lim.check("-100", str(user), "help") for user in range(1, 8)]
    assert verdicts == [ADMIT] * 5 + [WARN, DROP]
    assert lim.check("-200", "6", "help") is ADMIT, "the same user elsewhere is not held by that chat"


def test_expensive_commands_cost_more_and_refusals_cost_nothing() -> None:
    clock = Clock()
    lim = limiter(clock)
    assert lim.check("9", "9", "digest") is ADMIT
    assert lim.check("9", "9", "digest") is WARN  # 0 tokens left after 3
    for _ in range(50):
        lim.check("9", "9", "digest")
    clock.now += 6.0  # three tokens back: a flood did not push the cooldown further out
    assert lim.check("9", "9", "digest") is ADMIT


def test_the_tables_stay_bounded() -> None:
    lim = CommandLimiter(max_keys=100, clock=Clock())
    for user in range(10_000):
        lim.check(f"-{user}", str(user))
    assert len(lim._states) <= 100
