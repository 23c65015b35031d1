"""Thin views: bind a form, call one service, map domain errors onto the form, redirect."""

import hmac
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings.access import artisan_required, get_artisan_object_or_404
from bookings.models import Workshop
from bookings.ratelimit import ratelimit_post
from bookings.signed_links import link_unsign
from bookings.views.decorators import token_page

from . import selectors
from .forms import ChooseForm, ManageForm, MessageForm, RequestForm, SuggestionForm, slot_formset
from .models import DateSuggestion, PrivatisationRequest
from .quote_facts import quote_facts
from .quote_pdf import quote_pdf
from .services import private_price
from .services._common import respond_window
from .services.customer import (
    payment_reconcile,
    privatisation_message_post,
    privatisation_offer_choose,
    privatisation_request_withdraw,
)
from .services.errors import PrivatisationError, RequestNotFound
from .services.notify import MANAGE_SALT
from .services.respond import (
    QuoteInput,
    privatisation_request_refuse,
    privatisation_request_respond,
)
from .services.submit import Contact, privatisation_request_submit
from .services.suggestions import (
    date_suggestion_accept,
    date_suggestion_decline,
    date_suggestion_submit,
)
from .states import MessageAuthor, RequestKind, RequestStatus, SuggestionStatus


def _privatisable(slug):
    return get_object_or_404(
        Workshop.objects.select_related("artisan"),
        slug=slug,
        is_published=True,
        privatisation_enabled=True,
    )


def _attach(form, formset, exc):
    if exc.field == "slots":
        formset._non_form_errors = formset.error_class([str(exc.message)])
    elif exc.field and exc.field in form.fields:
        form.add_error(exc.field, str(exc.message))
    else:
        form.add_error(None, str(exc.message))


# --- Customer ----------------------------------------------------------------------------------


@ratelimit_post("privatisation-request")
def request_form(request, slug):
    workshop = _privatisable(slug)
    now = timezone.now()
    # Each kind has its own answer window, so its own earliest slot: both are shown, the chosen one applies.
    earliest_by_kind = {
        kind: now + respond_window(kind == RequestKind.COMPANY) for kind in RequestKind.values
    }
    if request.method == "POST":
        form = RequestForm(request.POST, workshop=workshop)
        kind = (
            request.POST.get("kind")
            if request.POST.get("kind") in RequestKind.values
            else RequestKind.INDIVIDUAL
        )
        formset = slot_formset(
            workshop=workshop, data=request.POST, earliest=earliest_by_kind[kind]
        )
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            contact = Contact(
                name=data["contact_name"],
                email=data["email"],
                phone=data["phone"],
                language=translation.get_language() or "en",
                timezone=data["customer_timezone"],
                kind=data["kind"],
                company_name=data["company_name"],
                billing_details=data["billing_details"],
            )
            try:
                privreq = privatisation_request_submit(
                    workshop_id=workshop.pk,
                    contact=contact,
                    participants=data["participants"],
                    starts=formset.starts(),
                    message=data["message"],
                )
            except PrivatisationError as exc:
                _attach(form, formset, exc)
            else:
                messages.success(
                    request, _("Your request is sent. We emailed you this page's link.")
                )
                return redirect("privatisation:customer_request", token=privreq.token)
    else:
        form = RequestForm(
            workshop=workshop, initial={"participants": workshop.private_min_capacity}
        )
        kind = RequestKind.INDIVIDUAL
        formset = slot_formset(workshop=workshop, earliest=earliest_by_kind[kind])
    participants = form["participants"].value()
    return render(
        request,
        "privatisation/request_form.html",
        {
            "workshop": workshop,
            "form": form,
            "formset": formset,
            "kind": kind,
            "earliest": earliest_by_kind[RequestKind.INDIVIDUAL],
            "company_earliest": earliest_by_kind[RequestKind.COMPANY],
            "price": _price_or_none(workshop, participants),
        },
    )


def _price_or_none(workshop, participants):
    try:
        value = int(participants)
    except (TypeError, ValueError):
        return None
    if not 1 <= value <= workshop.private_max_capacity:
        return None
    return private_price(workshop, value)


def price(request, slug):
    """htmx: the live price as participants change."""
    workshop = _privatisable(slug)
    return render(
        request,
        "privatisation/_price.html",
        {
            "workshop": workshop,
            "price": _price_or_none(workshop, request.GET.get("participants")),
        },
    )


def _customer_request(token):
    """The request of this token link, else 404 (the same page whether or not some request exists).

    Found by an indexed equality lookup; the value found is then compared in constant time too."""
    privreq = (
        PrivatisationRequest.objects.select_related("workshop", "workshop__artisan", "quote")
        .filter(token=token)
        .first()
        if 20 <= len(token) <= 64
        else None
    )
    if privreq is None or not hmac.compare_digest(privreq.token, token):
        raise Http404
    return privreq


@token_page
def customer_request(request, token):
    privreq = _customer_request(token)
    return render(request, "privatisation/customer_request.html", _customer_context(privreq))


def _customer_context(privreq, **extra):
    now = timezone.now()
    offers = list(privreq.offers.select_related("slot").order_by("slot__starts_at"))
    status = privreq.display_status(now)
    return {
        "req": privreq,
        "workshop": privreq.workshop,
        "status": status,
        "overdue": privreq.is_overdue(now),
        "offers": offers,
        "can_withdraw": status == RequestStatus.PENDING,
        "can_choose": status == RequestStatus.ANSWERED,
        "can_message": status
        in (RequestStatus.PENDING, RequestStatus.ANSWERED, RequestStatus.CONFIRMED),
        "chosen": next((o for o in offers if o.chosen), None),
        # Which offered slots the customer proposed, which the artisan suggested instead.
        "proposed": list(privreq.proposed_slots.all()),
        "accepted_proposed_ids": {o.proposed_id for o in offers if o.proposed_id},
        "suggested_count": sum(1 for o in offers if not o.proposed_id),
        "conversation": privreq.messages.all(),
        "message_form": extra.pop("message_form", MessageForm()),
        "quote": getattr(privreq, "quote", None) if privreq.is_company else None,
        "MessageAuthor": MessageAuthor,
        "message_action": reverse("privatisation:customer_message", args=[privreq.token]),
        **extra,
    }


@require_POST
def customer_withdraw(request, token):
    privreq = _customer_request(token)
    try:
        privatisation_request_withdraw(token=privreq.token)
    except PrivatisationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request is withdrawn. The artisan is told."))
    return redirect("privatisation:customer_request", token=privreq.token)


@require_POST
def customer_choose(request, token):
    privreq = _customer_request(token)
    form = ChooseForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, form.errors.get("gift_code", [_("Choose one of the offered slots.")])[0]
        )
        return redirect("privatisation:customer_request", token=privreq.token)
    page = request.build_absolute_uri(
        reverse("privatisation:customer_request", args=[privreq.token])
    )
    back = request.build_absolute_uri(
        reverse("privatisation:customer_payment_return", args=[privreq.token])
    )
    try:
        url = privatisation_offer_choose(
            token=privreq.token,
            offer_id=form.cleaned_data["offer"],
            return_url=back,
            cancel_url=page,
            gift_code=form.cleaned_data["gift_code"],
        )
    except PrivatisationError as exc:
        messages.error(request, exc.message)
        return redirect("privatisation:customer_request", token=privreq.token)
    return HttpResponseRedirect(url)


@token_page
def customer_payment_return(request, token):
    """Back from the payment page: ask the gateway (the webhook may not have come yet)."""
    privreq = _customer_request(token)
    if privreq.order_id:
        payment_reconcile(order_id=privreq.order_id)
    return redirect("privatisation:customer_request", token=privreq.token)


def _post_message(request, form, privreq, author) -> bool:
    """Post the conversation message in `form`; False with the reason on the form otherwise."""
    if not form.is_valid():
        return False
    try:
        privatisation_message_post(
            request_id=privreq.pk, author=author, body=form.cleaned_data["body"]
        )
    except PrivatisationError as exc:
        form.add_error("body", str(exc.message))
        return False
    messages.success(request, _("Message sent."))
    return True


@require_POST
@ratelimit_post("privatisation-message")
def customer_message(request, token):
    privreq = _customer_request(token)
    form = MessageForm(request.POST)
    if _post_message(request, form, privreq, MessageAuthor.CUSTOMER):
        return redirect("privatisation:customer_request", token=privreq.token)
    return render(
        request,
        "privatisation/customer_request.html",
        _customer_context(privreq, message_form=form),
        status=400,
    )


@token_page
def quote_print(request, token):
    privreq = _customer_request(token)
    quote = getattr(privreq, "quote", None)
    if quote is None:
        raise Http404
    facts = quote_facts(quote)
    return render(
        request,
        "privatisation/quote.html",
        {
            "req": privreq,
            "quote": quote,
            "workshop": privreq.workshop,
            "offers": facts["offers"],
            "facts": facts,
        },
    )


@token_page
def quote_download(request, token):
    """The same quote as a PDF (the one attached to the quote email), in the page's language."""
    privreq = _customer_request(token)
    quote = getattr(privreq, "quote", None)
    if quote is None:
        raise Http404
    pdf = quote_pdf(quote, language=translation.get_language() or privreq.language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.reference}.pdf"'
    return response


@ratelimit_post("privatisation-suggestion")
def suggest_form(request, slug):
    workshop = get_object_or_404(
        Workshop.objects.select_related("artisan"), slug=slug, is_published=True
    )
    if request.method == "POST":
        form = SuggestionForm(request.POST, workshop=workshop)
        if form.is_valid():
            data = form.cleaned_data
            try:
                date_suggestion_submit(
                    workshop_id=workshop.pk,
                    starts_at=form.starts_at(),
                    name=data["contact_name"],
                    email=data["email"],
                    message=data["message"],
                    language=translation.get_language() or "en",
                )
            except PrivatisationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                return render(request, "privatisation/suggest_thanks.html", {"workshop": workshop})
    else:
        form = SuggestionForm(workshop=workshop)
    return render(request, "privatisation/suggest_form.html", {"workshop": workshop, "form": form})


# --- Artisan -----------------------------------------------------------------------------------

FILTER_LABELS = [
    ("to_answer", _("To answer")),
    ("waiting", _("Waiting for the customer")),
    ("confirmed", _("Confirmed")),
    ("expired", _("Expired")),
    ("refused", _("Refused or withdrawn")),
]


@artisan_required
def backoffice_list(request, artisan):
    current = request.GET.get("status") or "to_answer"
    if current not in selectors.FILTERS and current != "all":
        current = "to_answer"
    now = timezone.now()
    rows = list(selectors.requests_for_artisan(artisan, status_filter=current, now=now)[:200])
    for row in rows:
        row.shown_status = row.display_status(now)
        row.time_left_label = (
            ""
            if row.is_overdue(now)
            else selectors.time_left_label(selectors.time_left(row.deadline, now))
        )
    suggestions = DateSuggestion.objects.filter(
        workshop__artisan=artisan, status=SuggestionStatus.NEW
    ).select_related("workshop")
    return render(
        request,
        "privatisation/backoffice/list.html",
        {
            "rows": rows,
            "current": current,
            "filters": FILTER_LABELS,
            "nav": "privatisation",
            "suggestions": list(suggestions[:50]),
            "RequestStatus": RequestStatus,
        },
    )


@artisan_required
def backoffice_manage(request, artisan, pk):
    privreq = get_artisan_object_or_404(
        PrivatisationRequest.objects.select_related("workshop", "workshop__artisan"), artisan, pk=pk
    )
    return _manage(request, privreq, reverse("privatisation:manage", args=[pk]), signed=False)


@token_page
def manage_signed(request, signature):
    """The artisan's link from the SMS/email: this request only, until its deadline."""
    pk = link_unsign(signature, salt=MANAGE_SALT)
    if pk is None:
        raise Http404
    privreq = get_object_or_404(
        PrivatisationRequest.objects.select_related("workshop", "workshop__artisan"), pk=pk
    )
    if privreq.deadline is None or privreq.is_overdue():
        return render(
            request, "privatisation/backoffice/link_expired.html", {"req": privreq}, status=410
        )
    return _manage(
        request, privreq, reverse("privatisation:manage_signed", args=[signature]), signed=True
    )


def _manage(request, privreq, post_url, *, signed):
    now = timezone.now()
    workshop = privreq.workshop
    artisan = workshop.artisan
    marks = selectors.proposed_availability(privreq)
    can_answer = privreq.status == RequestStatus.PENDING and not privreq.is_overdue(now)
    removal_warning = None
    form = ManageForm(request_obj=privreq, marks=marks)
    offers_formset = slot_formset(workshop=workshop, prefix="offers", min_rows=0)
    message_form = MessageForm()
    if request.method == "POST" and request.POST.get("action") == "message":
        message_form = MessageForm(request.POST)
        if _post_message(request, message_form, privreq, MessageAuthor.ARTISAN):
            return redirect(post_url)
    elif request.method == "POST" and can_answer:
        form = ManageForm(request.POST, request_obj=privreq, marks=marks)
        offers_formset = slot_formset(
            workshop=workshop, prefix="offers", min_rows=0, data=request.POST
        )
        if form.is_valid() and (
            form.cleaned_data["decision"] == ManageForm.REFUSE or offers_formset.is_valid()
        ):
            data = form.cleaned_data
            try:
                if data["decision"] == ManageForm.REFUSE:
                    privatisation_request_refuse(
                        artisan=artisan, request_id=privreq.pk, message=data["message"]
                    )
                    messages.success(request, _("The request is refused; the customer is told."))
                    return redirect(post_url)
                offer_starts = offers_formset.starts()
                accepted = [p for p, _m in marks if p.pk in data["accept"]]
                duration = timedelta(minutes=workshop.duration_minutes)
                intervals = [(p.starts_at, p.ends_at) for p in accepted] + [
                    (s, s + duration) for s in offer_starts
                ]
                if not intervals:
                    raise PrivatisationError(
                        _("Accept at least one proposed slot or offer one of yours — or refuse.")
                    )
                check = selectors.availability(artisan.pk, intervals)
                busy = [m for m in check if not m.selectable]
                if busy:
                    raise PrivatisationError(
                        _("%(date)s is not free: %(reason)s.")
                        % {
                            "date": timezone.localtime(busy[0].starts_at, workshop.tzinfo).strftime(
                                "%d/%m/%Y %H:%M"
                            ),
                            "reason": "; ".join(busy[0].reasons),
                        }
                    )
                to_remove = sorted(
                    {s for m in check for s in m.removable}, key=lambda s: s.starts_at
                )
                if to_remove and not data["confirm_removal"]:
                    removal_warning = to_remove
                else:
                    quote = None
                    if privreq.is_company:
                        quote = QuoteInput(
                            amount_cents=data["quote_amount"],
                            valid_until=form.quote_valid_until_dt(),
                            note=data["quote_note"],
                        )
                    privatisation_request_respond(
                        artisan=artisan,
                        request_id=privreq.pk,
                        accept_proposed_ids=data["accept"],
                        offer_starts=offer_starts,
                        message=data["message"],
                        quote=quote,
                    )
                    messages.success(
                        request,
                        _(
                            "Your answer is sent. The slots are held on your calendar for this customer."
                        ),
                    )
                    return redirect(post_url)
            except PrivatisationError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, str(exc.message))
                else:
                    form.add_error(None, str(exc.message))
    offers = list(privreq.offers.select_related("slot").order_by("slot__starts_at"))
    return render(
        request,
        "privatisation/backoffice/manage.html",
        {
            "req": privreq,
            "workshop": workshop,
            "marks": marks,
            "form": form,
            "offers_formset": offers_formset,
            "message_form": message_form,
            "post_url": post_url,
            "signed": signed,
            "can_answer": can_answer,
            "removal_warning": removal_warning,
            "offers": offers,
            "conversation": privreq.messages.all(),
            "can_message": privreq.display_status(now)
            in (RequestStatus.PENDING, RequestStatus.ANSWERED, RequestStatus.CONFIRMED),
            "status": privreq.display_status(now),
            "overdue": privreq.is_overdue(now),
            "time_left": selectors.time_left_label(selectors.time_left(privreq.deadline, now)),
            "nav": "privatisation",
            "accepted_ids": [int(v) for v in form["accept"].value() or [] if str(v).isdigit()],
            "MessageAuthor": MessageAuthor,
            "quote": getattr(privreq, "quote", None) if privreq.is_company else None,
            "history": selectors.request_history(privreq),
        },
    )


@artisan_required
@require_POST
def suggestion_decide(request, artisan, pk, decision):
    if decision not in ("accept", "decline"):
        raise Http404
    try:
        if decision == "accept":
            date_suggestion_accept(artisan=artisan, suggestion_id=pk)
            messages.success(
                request, _("The date is on your calendar as a public slot; the customer is told.")
            )
        else:
            date_suggestion_decline(artisan=artisan, suggestion_id=pk)
            messages.success(request, _("Suggestion declined."))
    except RequestNotFound:
        raise Http404 from None  # another artisan's suggestion: as if it did not exist
    except PrivatisationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("privatisation:list") + "?status=to_answer")
