from .selectors import to_answer_count


def badge(request):
    """The count of requests to answer, for the back-office navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/backoffice/"):
        return {}
    artisan = getattr(user, "artisan", None)
    if artisan is None:
        return {}
    return {"privatisation_to_answer": to_answer_count(artisan)}
