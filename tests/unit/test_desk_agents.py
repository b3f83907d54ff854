"""Per-agent figures (`services/desk/agents.py` `tally`): open tickets assigned now, tickets
closed in the period (each once per closer) and the median minutes to the first response."""

from lpse_helpdesk.services.desk.agents import AgentFigures, tally


def test_counts_closes_once_per_ticket_and_takes_the_median_of_first_responses():
    rows = tally(
        staff={"hd.satu": "Satu", "hd.dua": "Dua", "koor": "Koordinator"},
        open_assignees={"hd.satu": 2, "hd.dua": 1},
        closes=[("hd.satu", "t1"), ("hd.satu", "t1"), ("hd.satu", "t2"), ("hd.dua", "t3")],
        first_responses=[("hd.satu", 60.0), ("hd.satu", 180.0), ("hd.satu", 600.0),
                         ("hd.dua", 90.0), ("hd.dua", 150.0)])
    by = {row.username: row for row in rows}
    assert [row.username for row in rows] == ["hd.dua", "hd.satu", "koor"]
    assert by["hd.satu"] == AgentFigures(
        username="hd.satu", display_name="Satu", open_assigned=2, closed=2, first_responses=3,
        median_first_response_minutes=3.0)
    # An even count: the mean of the middle two (90 s and 150 s: 2 minutes).
    assert by["hd.dua"].median_first_response_minutes == 2.0
    assert (by["hd.dua"].closed, by["hd.dua"].open_assigned) == (1, 1)
    # Staff without work in the period are listed with zeros and no median.
    assert by["koor"] == AgentFigures(username="koor", display_name="Koordinator")


def test_someone_in_the_figures_but_no_longer_active_staff_is_still_listed():
    rows = tally(staff={}, open_assignees={"lama": 1}, closes=[("lama", "t9")],
                 first_responses=[])
    assert rows == [AgentFigures(username="lama", open_assigned=1, closed=1)]
