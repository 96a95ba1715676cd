from django.db import models


class Note(models.Model):
    text = models.CharField(max_length=500)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def as_dict(self):
        return {"id": self.id, "text": self.text, "created": self.created.isoformat()}


class Visit(models.Model):
    """One row per page view of the index: the visit counter."""

    path = models.CharField(max_length=200)
    at = models.DateTimeField(auto_now_add=True)
