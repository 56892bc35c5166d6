from intake.models import Message, MessageStatus, ReviewItem
from intake.services import message_classify_now, message_ingest


def test_ingested_message_is_stored_then_classified_and_routed(practice):
    result = message_ingest(
        practice=practice, channel="sms", text="  need to   reschedule\x00 thursday "
    )
    assert result.created
    stored = Message.objects.get(pk=result.message.pk)
    assert stored.text == "need to reschedule thursday"
    assert stored.status == MessageStatus.PENDING

    message = message_classify_now(message=stored)
    assert message.status == MessageStatus.CLASSIFIED
    assert message.label in message.probabilities
    assert abs(sum(message.probabilities.values()) - 1.0) < 1e-3
    assert message.destination
    assert message.needs_review == ReviewItem.objects.filter(message=message).exists()


def test_red_flag_message_is_urgent_whatever_the_model_says(practice):
    message = message_ingest(practice=practice, channel="sms", text="my dad has chest pain").message
    message = message_classify_now(message=message)
    assert message.urgent and message.needs_review
    assert message.red_flags == ["chest_pain"]
    assert message.destination == "clinical"


def test_duplicate_external_id_stores_one_message(practice):
    first = message_ingest(practice=practice, channel="sms", text="hi", external_id="SM1")
    second = message_ingest(practice=practice, channel="sms", text="hi", external_id="SM1")
    assert first.created and not second.created
    assert Message.objects.filter(external_id="SM1").count() == 1
