"""The flow file's `[whatsapp]` table: SMS for numbers without WhatsApp is off unless asked."""

from __future__ import annotations

from pathlib import Path

from flows.loader import load_flows

BUNDLED = Path(__file__).resolve().parents[2] / "flows" / "bundled"


def test_a_flow_file_can_ask_for_sms_when_the_number_has_no_whatsapp(tmp_path: Path) -> None:
    text = (BUNDLED / "csat.toml").read_text(encoding="utf-8")
    (tmp_path / "csat.toml").write_text(text + "\n[whatsapp]\nsms_fallback = true\n", "utf-8")

    flow = load_flows(tmp_path)["csat"]

    assert flow.whatsapp is not None
    assert flow.whatsapp.sms_fallback is True


def test_the_bundled_flows_do_not_switch_channels_by_themselves() -> None:
    flows = load_flows(BUNDLED)
    assert flows
    assert not any(f.whatsapp is not None and f.whatsapp.sms_fallback for f in flows.values())
