"""The dashboard's words for comparisons, intervals, pooling, the league table and time effects.

Kept apart from `i18n.TEXTS` so these pages grow without touching the shared word list;
`install()` adds them to it once, when the routes load.
"""

from __future__ import annotations

from bots.admin.i18n import TEXTS

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "interval": "95% interval",
        "interval_note": "the range the true score lies in with 95% confidence",
        "separate_flows": "Not in this figure, reported on their own (another question): {flows}",
        "pooled_flows": "Pooled on purpose: {flows}",
        "not_sent": "Not sent",
        "never_sent": "Never sent: {what}",
        "funnel_basis": (
            "Counts invitations by the time they were created; scores count by the time of "
            "the answer, so the two periods can hold different contacts."
        ),
        "dist_raw": "answers as given (1 = very low effort is the best)",
        "flag_up": "significantly higher",
        "flag_down": "significantly lower",
        "flag_note": "▲▼: differs from {what} beyond chance (95%, {test}).",
        "flag_prev": "the previous period",
        "flag_rest": "the rest",
        "league": "Agent league table",
        "league_note": (
            "Ranked by the shrunken score: each agent's score pulled towards the team's, the "
            "more the fewer answers, so a lucky small sample does not top the table."
        ),
        "rank": "#",
        "shrunk": "Shrunken",
        "raw": "Raw",
        "mix": "Answers",
        "hidden_rows": "{n} agents with fewer than {min_n} answers are not ranked.",
        "fcr": "FCR",
        "resolved_rate": "resolved in one go",
        "resolved": "resolved",
        "not_resolved": "not resolved",
        "versions": "Question versions",
        "version_mixed": "This figure mixes {n} versions of the question:",
        "weekday": "Weekdays",
        "weekend": "Weekend",
        "holiday": "Public holidays",
        "other_days": "Other days",
        "time_effects": "Time effects",
        "response_bias": "Response bias",
        "early": "Early responders",
        "late": "Late responders",
        "rate": "Response rate",
        "flow_version": "Question version",
        "pool": "Pool the flows of each metric (say which)",
        "unpool": "One question per figure",
        "late_note": (
            "late responders score lower beyond chance: the silent ones probably would too"
        ),
        "bias_note": (
            "Dissatisfied customers answer less: read each score beside its response rate. "
            "Late responders resemble those who never answer; when they score lower, the "
            "score is likely too kind."
        ),
        "test_nps": "difference of two NPS, trinomial variance",
        "test_share": "two proportions",
        "test_mean": "Welch's t-test of two means",
        "flag": "vs chance",
        "difference": "difference",
        "withheld": (
            "Fewer answers under these filters than a score needs: their responses are hidden "
            "from viewers (only admins see them)."
        ),
    },
    "nl": {
        "interval": "95%-interval",
        "interval_note": "het bereik waarin de echte score met 95% zekerheid ligt",
        "separate_flows": "Niet in dit cijfer, apart gerapporteerd (een andere vraag): {flows}",
        "pooled_flows": "Bewust samengevoegd: {flows}",
        "not_sent": "Niet verstuurd",
        "never_sent": "Nooit verstuurd: {what}",
        "funnel_basis": (
            "Telt uitnodigingen op het moment dat ze zijn aangemaakt; scores tellen op het "
            "moment van het antwoord, dus beide perioden kunnen andere contacten bevatten."
        ),
        "dist_raw": "antwoorden zoals gegeven (1 = heel weinig moeite is het beste)",
        "flag_up": "significant hoger",
        "flag_down": "significant lager",
        "flag_note": "▲▼: wijkt meer dan toeval af van {what} (95%, {test}).",
        "flag_prev": "de vorige periode",
        "flag_rest": "de rest",
        "league": "Ranglijst van agents",
        "league_note": (
            "Gerangschikt op de gekrompen score: de score van elke agent naar die van het team "
            "getrokken, sterker naarmate er minder antwoorden zijn, zodat een kleine steekproef "
            "met geluk niet bovenaan komt."
        ),
        "rank": "#",
        "shrunk": "Gekrompen",
        "raw": "Ruw",
        "mix": "Antwoorden",
        "hidden_rows": "{n} agents met minder dan {min_n} antwoorden staan niet in de ranglijst.",
        "fcr": "FCR",
        "resolved_rate": "in één keer opgelost",
        "resolved": "opgelost",
        "not_resolved": "niet opgelost",
        "versions": "Vraagversies",
        "version_mixed": "Dit cijfer mengt {n} versies van de vraag:",
        "weekday": "Werkdagen",
        "weekend": "Weekend",
        "holiday": "Feestdagen",
        "other_days": "Overige dagen",
        "time_effects": "Tijdseffecten",
        "response_bias": "Responsvertekening",
        "early": "Vroege antwoorders",
        "late": "Late antwoorders",
        "rate": "Respons",
        "flow_version": "Vraagversie",
        "pool": "Flows per metriek samenvoegen (met vermelding)",
        "unpool": "Eén vraag per cijfer",
        "late_note": (
            "late antwoorders scoren meer dan toeval lager: wie niet antwoordt waarschijnlijk ook"
        ),
        "bias_note": (
            "Ontevreden klanten antwoorden minder vaak: lees elke score naast zijn respons. "
            "Late antwoorders lijken op wie nooit antwoordt; scoren zij lager, dan is de score "
            "waarschijnlijk te rooskleurig."
        ),
        "test_nps": "verschil van twee NPS'en, trinomiale variantie",
        "test_share": "twee proporties",
        "test_mean": "Welch-t-toets van twee gemiddelden",
        "flag": "vs toeval",
        "difference": "verschil",
        "withheld": (
            "Minder antwoorden onder deze filters dan een score nodig heeft: de antwoorden zijn "
            "verborgen voor kijkers (alleen beheerders zien ze)."
        ),
    },
}


def install() -> None:
    """Add these words to the dashboard's word list (an existing word is never replaced)."""
    for lang, words in WORDS.items():
        for key, text in words.items():
            TEXTS[lang].setdefault(key, text)
