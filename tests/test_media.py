def test_uploaded_photo_is_served_outside_debug(client, settings):
    settings.DEBUG = False
    photo = settings.MEDIA_ROOT / "workshops" / "bowl.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg")
    response = client.get("/media/workshops/bowl.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_media_view_never_leaves_media_root(client, settings):
    (settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    for url in ("/media/../config/settings.py", "/media/%2e%2e/config/settings.py"):
        response = client.get(url)
        assert response.status_code in (400, 404)
        assert b"SECRET_KEY" not in response.content


def test_django_leaves_media_to_the_proxy_when_told(client, settings):
    settings.SERVE_MEDIA = False
    photo = settings.MEDIA_ROOT / "workshops" / "bowl.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg")
    assert client.get("/media/workshops/bowl.jpg").status_code == 404
