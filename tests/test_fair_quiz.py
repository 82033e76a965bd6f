"""The choices cannot be gamed by position: shuffled per session, fixed for a ?quiz_seed."""

from __future__ import annotations

import pytest

from content.questions import load_bank
from tests.apptest_helpers import errors, open_page
from ui.quiz import choice_order

BANK = load_bank()


@pytest.mark.parametrize("question", BANK.questions, ids=lambda q: q.id)
def test_the_correct_choice_takes_every_position(question):
    positions = {choice_order(question, seed).index(question.correct_choice) for seed in range(200)}
    assert positions == set(range(len(question.choices)))


def test_the_same_seed_gives_the_same_order_and_seeds_differ():
    question = BANK.questions[0]
    assert choice_order(question, 7) == choice_order(question, 7)
    assert len({tuple(choice_order(question, seed)) for seed in range(50)}) > 1


def test_the_correct_choice_is_not_always_in_the_same_place_across_questions():
    for seed in range(20):
        places = [choice_order(q, seed).index(q.correct_choice) for q in BANK.questions]
        if len(set(places)) > 1:
            return
    pytest.fail("for 20 seeds every question put its correct choice in the same place")


def test_a_link_with_a_quiz_seed_shows_everyone_the_same_order():
    question = BANK.questions[0]
    first = open_page(question.id, {"quiz_seed": "12345"})
    second = open_page(question.id, {"quiz_seed": "12345"})
    key = f"{question.id}:prediction"
    assert first.radio(key=key).options == second.radio(key=key).options
    expected = [question.choices[i].text for i in choice_order(question, 12345)]
    assert first.radio(key=key).options == expected
    assert errors(first) == [] and [w.value for w in first.warning] == []


@pytest.mark.parametrize("raw", ["-1", "abc", "1e9", "9999999"])
def test_a_bad_quiz_seed_warns_and_the_page_still_works(raw):
    question = BANK.questions[0]
    at = open_page(question.id, {"quiz_seed": raw})
    assert errors(at) == []
    assert any("quiz_seed" in w.value for w in at.warning)
    assert len(at.radio(key=f"{question.id}:prediction").options) == len(question.choices)


def test_a_bad_projector_value_warns_like_every_other_link_value():
    at = open_page(BANK.questions[0].id, {"projector": "yes please"})
    assert errors(at) == []
    assert any("'Projector mode' (projector)" in w.value for w in at.warning)
