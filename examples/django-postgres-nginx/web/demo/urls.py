from django.urls import path

from notes import views

urlpatterns = [
    path("", views.index, name="index"),
    path("notes", views.add_note_form, name="add-note"),
    path("api/notes", views.notes_api, name="notes-api"),
    path("healthz", views.healthz, name="healthz"),
]
