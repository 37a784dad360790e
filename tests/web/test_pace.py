"""How often a stream's results are shown (web/tab.py Pace): new text at most every UPDATE_SECONDS, heartbeats on a
clock of their own, so the first word is never held back by a heartbeat shown just before it."""

from web.tab import UPDATE_SECONDS, Pace

U = UPDATE_SECONDS


def test_a_heartbeat_just_before_the_first_word_does_not_hold_the_word_back():
    pace = Pace()
    assert pace.due({"reply": ""}, now=0.0)  # the empty answer at once (Stop works from then on)
    assert pace.due({"reply": ""}, now=2 * U)  # a heartbeat while the prompt is read: shown, control kept
    assert pace.due({"reply": "Once"}, now=2.3 * U)  # the first word 0.3 U later: shown at once
    assert not pace.due({"reply": "Once upon"}, now=2.6 * U)  # then new text at most every U
    assert pace.due({"reply": "Once upon a"}, now=3.3 * U)


def test_heartbeats_and_new_text_are_each_shown_at_most_every_update_seconds():
    pace = Pace()
    shown = [pace.due({"reply": "same"}, now=i * 0.3 * U) for i in range(10)]  # a heartbeat every 0.3 U
    assert shown == [True, False, False, False, True, False, False, False, True, False]
    words = [pace.due({"reply": "x" * i}, now=3 * U + i * 0.3 * U) for i in range(1, 9)]  # a word every 0.3 U
    assert words == [True, False, False, False, True, False, False, False]
