"""The sliding-window counter behind every rate limit and quota (no server)."""

from lpse_helpdesk.platform.windows import SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0 * 60  # the start of a window

    def __call__(self) -> float:
        return self.now


def test_the_limit_holds_within_a_window_and_keys_count_apart():
    clock = Clock()
    window = SlidingWindow(3, 60.0, clock)
    assert [window.hit("a") for _ in range(5)] == [True, True, True, False, False]
    assert window.hit("b")
    clock.now += 30
    assert not window.hit("a")  # still inside the same window


def test_the_previous_window_counts_by_the_share_still_inside():
    clock = Clock()
    window = SlidingWindow(4, 60.0, clock)
    assert all(window.hit("a") for _ in range(4))
    clock.now += 60 + 15  # next window, a quarter in: 3 of the previous 4 still count
    assert window.hit("a") and not window.hit("a")
    clock.now += 30  # three quarters in: 1 of the previous 4 counts, plus the 1 new
    assert window.hit("a") and window.hit("a") and not window.hit("a")
    clock.now += 120  # two windows later nothing counts
    assert all(window.hit("a") for _ in range(4))


def test_a_cost_counts_its_size_and_a_refusal_counts_nothing():
    clock = Clock()
    window = SlidingWindow(10_000, 3600.0, clock)
    assert window.hit("client", cost=6_000)
    assert not window.hit("client", cost=6_000)
    assert window.hit("client", cost=4_000)
    assert window.retry_after() == 3600 - clock.now % 3600


def test_old_keys_are_forgotten():
    clock = Clock()
    window = SlidingWindow(5, 60.0, clock)
    for i in range(1023):
        window.hit(i)
    clock.now += 180
    window.hit("now")  # the 1024th hit prunes what lies two windows back
    assert list(window._counts) == [("now",)]
