"""Gift card forms: buying one (shape only; the service checks the rules) and typing a code."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..localtime import site_today
from ..models import GIFT_CODE_LENGTH
from ..services.giftcards import gift_code_normalise
from ..templatetags.atelier import format_money

OTHER, WORKSHOP = "other", "workshop"
MESSAGE_MAX = 500
MAX_PEOPLE = 20


class GiftCodeField(forms.CharField):
    """A gift card code in any case, with or without dashes or spaces → the stored form."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", _("Gift card code"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "characters",
                    "spellcheck": "false",
                    "placeholder": "ABCD-EFGH-JKLM",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = gift_code_normalise(super().clean(value))
        if value and len(value) != GIFT_CODE_LENGTH:
            raise forms.ValidationError(
                _("A gift card code has 12 letters and digits, e.g. ABCD-EFGH-JKLM."), code="shape"
            )
        return value


class GiftCodeForm(forms.Form):
    code = GiftCodeField()


class GiftCardBuyForm(forms.Form):
    amount_choice = forms.ChoiceField(label=_("Amount"), widget=forms.RadioSelect)
    amount_other = forms.DecimalField(
        label=_("Other amount"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "1"}),
    )
    people = forms.IntegerField(
        label=_("Number of people"), min_value=1, max_value=MAX_PEOPLE, initial=1, required=False
    )
    buyer_name = forms.CharField(
        label=_("Your name"), max_length=160, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    buyer_email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_("Your receipt is sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    for_me = forms.BooleanField(label=_("Send it to me, to print and give"), required=False)
    recipient_name = forms.CharField(label=_("Recipient's name"), max_length=160, required=False)
    recipient_email = forms.EmailField(label=_("Recipient's email"), max_length=254, required=False)
    message = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX}),
        help_text=_("Printed on the card (at most 500 characters)."),
    )
    send_on = forms.DateField(
        label=_("Send on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Today or a later day, within a year."),
    )

    def __init__(self, *args, workshop=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        currency = settings.GIFT_CARD_CURRENCY
        choices = [(str(c), format_money(c, currency)) for c in settings.GIFT_CARD_PRESET_CENTS]
        if workshop is not None:
            choices.insert(
                0,
                (
                    WORKSHOP,
                    _("“%(title)s” for the number of people below (%(price)s a seat)")
                    % {
                        "title": workshop.title,
                        "price": format_money(workshop.price_cents, currency),
                    },
                ),
            )
        choices.append((OTHER, _("Another amount")))
        self.fields["amount_choice"].choices = choices
        self.fields["amount_choice"].initial = choices[0][0]
        self.fields["amount_other"].help_text = _("Between %(min)s and %(max)s.") % {
            "min": format_money(settings.GIFT_CARD_MIN_CENTS, currency),
            "max": format_money(settings.GIFT_CARD_MAX_CENTS, currency),
        }
        self.fields["send_on"].initial = site_today()

    def _amount_cents(self, cleaned) -> int | None:
        choice = cleaned.get("amount_choice")
        if choice is None:
            return None
        if choice == WORKSHOP:
            people = cleaned.get("people")
            if not people:
                self.add_error("people", _("How many people?"))
                return None
            return people * self.workshop.price_cents
        if choice == OTHER:
            other = cleaned.get("amount_other")
            if other is None:
                self.add_error("amount_other", _("Enter an amount."))
                return None
            return int(other * 100)
        return int(choice)

    def clean(self):
        cleaned = super().clean()
        amount = self._amount_cents(cleaned)
        if amount is not None and not (
            settings.GIFT_CARD_MIN_CENTS <= amount <= settings.GIFT_CARD_MAX_CENTS
        ):
            self.add_error(
                "amount_other" if cleaned.get("amount_choice") == OTHER else "amount_choice",
                self.fields["amount_other"].help_text,
            )
        cleaned["amount_cents"] = amount
        if not cleaned.get("for_me"):
            if not cleaned.get("recipient_name") and "recipient_name" not in self.errors:
                self.add_error("recipient_name", _("Whom is it for?"))
            if not cleaned.get("recipient_email") and "recipient_email" not in self.errors:
                self.add_error(
                    "recipient_email",
                    _("Where should the card go? Or tick “Send it to me, to print and give”."),
                )
        else:
            cleaned["recipient_email"] = ""
        send_on = cleaned.get("send_on")
        today = site_today()
        if send_on and not today <= send_on <= today + timedelta(days=365):
            self.add_error("send_on", _("Choose today or a later day, within a year."))
        return cleaned
