"""Artisans: creation by ops (Django admin), the invitation to set a password, reset links.

An artisan is a Django user (email as username, no password until they set one) plus an
`Artisan` row. The invitation and the "forgot your password" email both carry Django's
password-reset token to `backoffice:password_reset_confirm`; both go through the outbox.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from notifications.models import Notification
from notifications.services import notification_enqueue
from notifications.states import Channel

from ..models import Artisan
from .errors import BookingError


def _unique_slug(display_name: str) -> str:
    base = slugify(display_name)[:120] or "artisan"
    slug, n = base, 1
    while Artisan.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def artisan_create(
    *, email: str, display_name: str, phone: str = "", language: str = "fr", bio: str = ""
) -> Artisan:
    """Create the user (email login, unusable password) and the artisan, with a unique slug."""
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    with transaction.atomic():
        if (
            User.objects.filter(username__iexact=email).exists()
            or User.objects.filter(email__iexact=email).exists()
        ):
            raise BookingError(_("An account with this email address already exists."))
        user = User(username=email, email=email)
        user.set_unusable_password()
        user.save()
        return Artisan.objects.create(
            user=user,
            display_name=display_name.strip(),
            slug=_unique_slug(display_name),
            phone=phone.strip(),
            language=language,
            bio=bio,
        )


def password_set_link(*, user) -> str:
    """An absolute link to choose a (new) password; valid PASSWORD_RESET_TIMEOUT seconds."""
    return settings.SITE_URL + _password_set_path(
        user=user, token=default_token_generator.make_token(user)
    )


def _password_set_path(*, user, token: str) -> str:
    return reverse(
        "backoffice:password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )


def artisan_invite(*, artisan: Artisan) -> Notification:
    """Queue the invitation email (again): each call is a new event, so a new key."""
    with transaction.atomic():
        artisan = Artisan.objects.select_for_update().select_related("user").get(pk=artisan.pk)
        prefix = f"artisan:{artisan.pk}:invite:"
        sent_before = Notification.objects.filter(idempotency_key__startswith=prefix).count()
        return notification_enqueue(
            channel=Channel.EMAIL,
            recipient=artisan.user.email,
            template="bookings/emails/artisan_invite",
            context={
                "artisan": artisan,
                "link": password_set_link(user=artisan.user),
                "login_url": settings.SITE_URL + reverse("backoffice:login"),
                "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            },
            language=artisan.language,
            key=f"{prefix}{sent_before + 1}",
        )


def password_reset_link_enqueue(*, user, token: str, language: str) -> Notification | None:
    """Queue the "choose a new password" email (the password-reset form calls this)."""
    return notification_enqueue(
        channel=Channel.EMAIL,
        recipient=user.email,
        template="bookings/emails/password_reset",
        context={
            "user": user,
            "link": settings.SITE_URL + _password_set_path(user=user, token=token),
            "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
        language=language,
        key=f"user:{user.pk}:password-reset:{token}:email",
    )


LEGAL_FIELDS = (
    "legal_name",
    "legal_address",
    "company_number",
    "vat_number",
    "vat_rate_bp",
    "vat_exemption_note",
)


def artisan_legal_update(*, artisan: Artisan, values: dict) -> Artisan:
    """Save the legal details and VAT settings printed on the artisan's next quotes.

    Quotes already issued keep the details of their day (they are snapshotted on the quote)."""
    rate = values.get("vat_rate_bp")
    if rate is not None and not 0 <= int(rate) <= 10000:
        raise BookingError(_("A VAT rate is between 0 and 100 %."))
    with transaction.atomic():
        row = Artisan.objects.select_for_update().get(pk=artisan.pk)
        for name in LEGAL_FIELDS:
            setattr(
                row, name, values.get(name) if name == "vat_rate_bp" else (values.get(name) or "")
            )
        row.save(update_fields=list(LEGAL_FIELDS))
    return row
