from bookings.hooks import nav_badges

TO_ANSWER = "privatisation_to_answer"  # the nav badge (registered in apps.py)


def badge(request):
    """The count of requests to answer, for the back-office navigation (read with the artisan)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/backoffice/"):
        return {}
    artisan = getattr(user, "artisan", None)
    if artisan is None:
        return {}
    return {"privatisation_to_answer": nav_badges.count(artisan, TO_ANSWER)}
