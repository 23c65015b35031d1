"""The booking form: quantities per ticket type, name, email, mobile phone (shape only;
the order service checks seats and rules)."""

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.phone import PhoneField

from ..selectors.storefront import seats_held_by
from .giftcards import GiftCodeField


class BookingForm(forms.Form):
    customer_name = forms.CharField(
        label=_("Your name"), max_length=160, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    customer_email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Your tickets are sent here."),
    )
    customer_phone = PhoneField(
        label=_("Mobile phone"),
        help_text=_("For a text message if something changes, e.g. +33 6 12 34 56 78."),
    )
    gift_code = GiftCodeField(
        required=False, help_text=_("Optional: it pays all or part of the booking.")
    )

    # One token per display of the form: the same submission twice gives back the same order.
    form_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, slot, ticket_types, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", secrets.token_urlsafe(24))
        self.slot = slot
        self.ticket_types = list(ticket_types)
        limit = slot.capacity
        for ticket_type in self.ticket_types:
            self.fields[self.quantity_field(ticket_type)] = forms.IntegerField(
                label=ticket_type.name,
                min_value=0,
                max_value=limit,
                initial=0,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "quantity"}),
            )
        # Quantities first, then who is coming.
        order = [self.quantity_field(t) for t in self.ticket_types] + [
            "customer_name",
            "customer_email",
            "customer_phone",
            "gift_code",
        ]
        self.order_fields(order)

    @staticmethod
    def quantity_field(ticket_type) -> str:
        return f"qty_{ticket_type.pk}"

    def quantity_rows(self):
        """(ticket type, bound field) pairs for the template."""
        return [(t, self[self.quantity_field(t)]) for t in self.ticket_types]

    def customer_fields(self):
        return [self[name] for name in ("customer_name", "customer_email", "customer_phone")]

    def total_cents(self) -> int:
        """The price of the chosen seats (the service computes it again from the database)."""
        return sum(
            (self.cleaned_data.get(self.quantity_field(t)) or 0) * t.price_cents
            for t in self.ticket_types
        )

    def quantities(self) -> dict[int, int]:
        return {t.pk: self.cleaned_data.get(self.quantity_field(t)) or 0 for t in self.ticket_types}

    def clean(self):
        cleaned = super().clean()
        if any(self.quantity_field(t) in self.errors for t in self.ticket_types):
            return cleaned
        chosen = {t for t in self.ticket_types if cleaned.get(self.quantity_field(t))}
        seats = sum(cleaned.get(self.quantity_field(t)) or 0 for t in self.ticket_types)
        if seats < 1:
            raise forms.ValidationError(_("Choose at least one seat."), code="no_seat")
        if len({t.requires_confirmation for t in chosen}) > 1:
            raise forms.ValidationError(
                _(
                    "Tickets that the artisan must accept first cannot be booked together with other tickets. "
                    "Please make two bookings."
                ),
                code="mixed",
            )
        ordinary = chosen and not next(iter(chosen)).requires_confirmation
        # The customer's own unpaid hold on this slot is given back by this booking.
        left = self.slot.seats_left + seats_held_by(
            slot_id=self.slot.pk, customer_email=cleaned.get("customer_email") or ""
        )
        if ordinary and seats > left:
            if left <= 0:
                raise forms.ValidationError(_("Sorry, this session is sold out."), code="sold_out")
            raise forms.ValidationError(
                ngettext(
                    "Only %(count)d seat is left for this session.",
                    "Only %(count)d seats are left for this session.",
                    left,
                )
                % {"count": left},
                code="too_many",
            )
        return cleaned
