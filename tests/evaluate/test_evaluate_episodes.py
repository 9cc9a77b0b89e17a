"""Support episodes: one per pupil × subject from the first consultation, dosage of the start semester."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.evaluate.episodes import UNKNOWN_PROJECT, build_episodes


def consult(
    day: date, subject: str | None, minutes: float, mode: str | None, role: str, project: str | None, pupil="p1"
):
    semester = 1 if day.month >= 9 else 2
    start = day.year if day.month >= 9 else day.year - 1
    return {
        "date": day,
        "school_year": f"{start}/{start + 1}",
        "semester": semester,
        "pupil_id": pupil,
        "school_id": "s1",
        "municipality": "M",
        "staff_role": role,
        "subject": subject,
        "minutes": minutes,
        "mode": mode,
        "group_size": 1,
        "project_code": project,
    }


PLANS = pl.DataFrame(
    {
        "pupil_id": ["p2"],
        "school_id": ["s1"],
        "plan_start": [date(2025, 1, 1)],
        "plan_end": [date(2025, 6, 30)],
        "project_code": ["8.3.4.0/16/I/001"],
    }
)
PUPILS = pl.DataFrame(
    {"pupil_id": ["p1", "p2"], "school_id": ["s1", "s1"], "school_year": ["2024/2025"] * 2, "grade_level": [7, 5]}
)


def test_dosage_counts_the_start_semester_and_totals_the_whole_episode():
    rows = [
        consult(date(2025, 2, 10), "mathematics", 40, "in_person", "teacher", "P-A"),
        consult(date(2025, 2, 3), "mathematics", 60, "remote", "teacher", "P-A"),
        consult(date(2025, 2, 17), "mathematics", 20, None, "teaching_assistant", "P-A"),
        consult(date(2025, 9, 8), "mathematics", 40, "in_person", "teacher", "P-A"),  # next semester
        consult(date(2025, 2, 4), None, 45, "in_person", "psychologist", "P-A"),  # not a subject episode
    ]
    episodes = build_episodes(pl.DataFrame(rows), PLANS, PUPILS)

    assert episodes.height == 1
    ep = episodes.row(0, named=True)
    assert ep["subject"] == "mathematics"
    assert ep["start_date"] == date(2025, 2, 3)
    assert (ep["school_year"], ep["semester"]) == ("2024/2025", 2)
    assert ep["n_consultations"] == 3
    assert ep["hours"] == 2.0  # (60 + 40 + 20) / 60
    assert ep["share_remote"] == 0.5  # one remote of two sessions with a known mode
    assert ep["main_mode"] == "remote"
    assert ep["main_role"] == "teacher"
    assert ep["staff_roles"] == "teacher,teaching_assistant"
    assert ep["n_consultations_total"] == 4
    assert ep["hours_total"] == 160 / 60
    assert ep["grade_level"] == 7
    assert ep["project_code"] == "P-A"
    assert ep["has_plan"] is False


def test_project_comes_from_the_covering_plan_when_consultations_name_none():
    rows = [
        consult(date(2025, 3, 3), "latvian", 40, "in_person", "teacher", None, pupil="p2"),
        consult(date(2025, 3, 3), "english", 40, "in_person", "teacher", None, pupil="p1"),
    ]
    episodes = build_episodes(pl.DataFrame(rows), PLANS, PUPILS).sort("pupil_id")

    assert episodes["project_code"].to_list() == [UNKNOWN_PROJECT, "8.3.4.0/16/I/001"]
    assert episodes["has_plan"].to_list() == [False, True]
    assert episodes["grade_level"].to_list() == [7, 5]
