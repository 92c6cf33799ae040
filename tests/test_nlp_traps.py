"""Traps the issue names: a rainbow in the weather and grammatical gender are not sogi."""

from __future__ import annotations

import pytest

from nlp.pipeline import analyze

RAINBOW_WEATHER = [
    "После грозы над Алматы появилась двойная радуга: синоптики обещают на выходных солнечную "
    "погоду и до плюс двадцати пяти градусов.",
    "Радуга над Медеу: фотографы собрали лучшие снимки радужного неба после ливня.",
    "Нөсерден кейін Алматы үстінде қос кемпірқосақ пайда болды; синоптиктер демалыс күндері "
    "ашық ауа райын болжайды.",
    "A double rainbow appeared over Almaty after the storm; forecasters expect sunny weather "
    "and warm temperatures this weekend.",
]
GRAMMATICAL_GENDER = [
    "В русском языке у существительного три рода: мужской, женский и средний. Прилагательное "
    "согласуется с существительным в роде, числе и падеже; в казахском языке рода нет.",
    "Қазақ тілінде грамматикалық род жоқ, ал орыс тілінде зат есімнің тегі сын есімнің "
    "жалғауын өзгертеді.",
    "Kazakh has no grammatical gender. In Russian, the gender of a noun changes the ending of "
    "an adjective, and a past-tense verb changes with the gender of its subject. Learners find "
    "the gender marker on the verb hard: a change of gender means a change of ending.",
    "Grammatical gender in Russian: masculine, feminine and neuter nouns. The gender marker is "
    "the ending; gender agreement changes adjectives and verbs.",
]


@pytest.mark.parametrize("text", RAINBOW_WEATHER)
def test_a_rainbow_in_the_weather_is_not_sogi(text: str) -> None:
    result = analyze(text)
    assert "sogi" not in result.flagged
    assert result.topics["sogi"]["score"] <= 0


@pytest.mark.parametrize("text", GRAMMATICAL_GENDER)
def test_grammatical_gender_is_not_sogi(text: str) -> None:
    assert "sogi" not in analyze(text).flagged


@pytest.mark.parametrize(
    "text",
    [
        "Активистку оштрафовали за радужный флаг на акции в поддержку ЛГБТ-людей.",
        "Police detained a man for carrying a rainbow flag at a march for LGBT rights.",
        "A transgender woman in Almaty has waited two years for a court to approve the change "
        "of her gender marker; lawyers say gender recognition requires a psychiatric commission.",
    ],
)
def test_the_real_thing_is_still_sogi(text: str) -> None:
    assert "sogi" in analyze(text).flagged
