"""The address is the page, both ways (issue 15), headless: a rerun whose address changed while no control did
(Streamlit's rerun on Back or Forward) shows the address's settings and pins; a rerun where a control changed
keeps the control's value, whatever address came with it."""

from test_app import assert_same_run, pins_sent, shown_run, visit

from linreg_core.settings import Settings


def test_an_address_changed_under_the_page_is_followed_controls_run_and_pins():
    at = visit({"steps": "200", "lr": "0.1"})
    at.query_params.clear()
    at.query_params.update({"steps": "300", "lr": "0.05", "pin": ["steps~300~lr~0.2"]})  # Back, as Streamlit reruns
    at.run()
    assert not at.exception
    assert at.select_slider(key="lr").value == 0.05 and at.select_slider(key="steps").value == 300
    assert_same_run(shown_run(at), Settings(steps=300, lr=0.05))
    assert [p["label"] for p in pins_sent(at)] == ["#1 lr 0.2"]
    assert at.query_params == {"steps": "300", "lr": "0.05", "pin": "steps~300~lr~0.2"}


def test_a_changed_control_wins_over_an_address_that_has_not_caught_up():
    at = visit({"steps": "200"})
    at.query_params["lr"] = "0.3"  # an address from before the input, as a rerun may still carry it
    at.select_slider(key="lr").set_value(0.1).run()
    assert at.select_slider(key="lr").value == 0.1
    assert at.query_params == {"steps": "200", "lr": "0.1"}
