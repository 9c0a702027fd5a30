"""Our one-pass X-Twilio-Signature check gives RequestValidator's verdict on any form body."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from bots.twilio.security import FormParams
from bots.twilio.signature import signature_is_valid, signing_text

TOKEN = "12345678901234567890123456789012"
OTHER_TOKEN = "abcdefabcdefabcdefabcdefabcdefab"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

URLS = [
    "https://surveys.example.com/webhooks/twilio/sms",
    "https://surveys.example.com:443/webhooks/twilio/sms",
    "https://surveys.example.com:8443/webhooks/twilio/sms?channel=whatsapp",
    "http://127.0.0.1:8000/webhooks/twilio/voice?step=question&lang=nl",
    "http://127.0.0.1/webhooks/twilio/status",
]
# Names Twilio sends, a few that sort oddly, and anything at all.
NAMES = st.one_of(
    st.sampled_from(["Body", "From", "To", "MessageSid", "AccountSid", "NumMedia", "a", "A", "_"]),
    st.text(max_size=8),
)
VALUES = st.one_of(st.sampled_from(["", "9", "+31612345678", "negen 😀", "a&b=c"]), st.text())
PAIRS = st.lists(st.tuples(NAMES, VALUES), max_size=25)


def reference(url: str, pairs: list[tuple[str, str]], signature: str) -> bool:
    """RequestValidator over the same parameters, every value of a repeated name included."""
    return bool(RequestValidator(TOKEN).validate(url, FormParams(pairs), signature))


def signed_by_twilio(token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    return str(RequestValidator(token).compute_signature(url, FormParams(pairs)))


@FUZZ
@given(url=st.sampled_from(URLS), signed_url=st.sampled_from(URLS), pairs=PAIRS, data=st.data())
def test_verdicts_match_request_validator_over_fuzzed_bodies(
    url: str, signed_url: str, pairs: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Right signature, wrong URL, other token, a changed value, garbage: the same verdict."""
    body = urlencode(pairs)
    parsed = parse_qsl(body, keep_blank_values=True)  # the form as the webhook reads it
    tampered = list(parsed)
    if tampered:
        i = data.draw(st.integers(0, len(tampered) - 1))
        tampered[i] = (tampered[i][0], tampered[i][1] + data.draw(st.sampled_from(["x", " ", ""])))
    signatures = [
        signed_by_twilio(TOKEN, signed_url, parsed),
        signed_by_twilio(TOKEN, signed_url, tampered),
        signed_by_twilio(OTHER_TOKEN, signed_url, parsed),
        data.draw(st.text(max_size=30)),
    ]
    for signature in signatures:
        assert signature_is_valid(TOKEN, url, parsed, signature) == reference(
            url, parsed, signature
        )


@FUZZ
@given(url=st.sampled_from(URLS), pairs=PAIRS)
def test_the_signed_string_is_the_one_request_validator_signs(
    url: str, pairs: list[tuple[str, str]]
) -> None:
    """Sorted names, each value of a repeated name once and sorted, after the URL."""
    ours = signing_text(url, pairs)
    assert RequestValidator(TOKEN).compute_signature(url, FormParams(pairs)) == (
        RequestValidator(TOKEN).compute_signature(ours, {})
    )


def test_a_repeated_parameter_is_signed_with_every_value() -> None:
    """Two values of one name: both are signed; dropping one makes the signature fail."""
    url = URLS[0]
    pairs = [("Body", "9"), ("MediaUrl", "b"), ("MediaUrl", "a"), ("MediaUrl", "a")]
    signature = signed_by_twilio(TOKEN, url, pairs)
    assert signing_text(url, pairs) == url + "Body9MediaUrlaMediaUrlb"
    assert signature_is_valid(TOKEN, url, pairs, signature)
    assert not signature_is_valid(TOKEN, url, pairs[:2], signature)
