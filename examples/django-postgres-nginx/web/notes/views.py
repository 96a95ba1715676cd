import json
import socket

from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .models import Note, Visit

MAX_TEXT = 500


def _notes(limit=50):
    return [n.as_dict() for n in Note.objects.all()[:limit]]


@require_GET
def index(request):
    """The HTML page: records a visit, then shows the counter and the notes, styled by a collected static file."""
    Visit.objects.create(path=request.path)
    return render(
        request,
        "notes/index.html",
        {"visits": Visit.objects.count(), "notes": Note.objects.all()[:50], "served_by": socket.gethostname()},
    )


@require_POST
def add_note_form(request):
    text = request.POST.get("text", "").strip()
    if not text or len(text) > MAX_TEXT:
        return HttpResponseBadRequest(f"a note is 1 to {MAX_TEXT} characters")
    Note.objects.create(text=text)
    return redirect("index")


@csrf_exempt  # a JSON API without cookie auth: CSRF does not apply
@require_http_methods(["GET", "POST"])
def notes_api(request):
    """GET: the latest notes. POST {"text": ...}: writes a note, then returns it and the latest notes."""
    if request.method == "POST":
        try:
            text = str(json.loads(request.body or b"{}").get("text", "")).strip()
        except (ValueError, AttributeError):
            return JsonResponse({"error": "body must be a JSON object"}, status=400)
        if not text or len(text) > MAX_TEXT:
            return JsonResponse({"error": f"text must be 1 to {MAX_TEXT} characters"}, status=400)
        note = Note.objects.create(text=text)
        return JsonResponse({"created": note.as_dict(), "count": Note.objects.count(), "notes": _notes()}, status=201)
    return JsonResponse({"count": Note.objects.count(), "notes": _notes()})


@require_GET
def healthz(request):
    """Healthy when the database answers."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception as e:  # noqa: BLE001 - any database failure is "unhealthy"
        return JsonResponse({"status": "error", "error": str(e)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
