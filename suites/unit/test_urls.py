import unittest

from harness.urls import mask, mask_text


class MaskTest(unittest.TestCase):
    def test_url_password_is_masked(self):
        self.assertEqual(mask("postgresql://bob:s3cret@db:5432/x"), "postgresql://bob:***@db:5432/x")

    def test_amqp_url(self):
        self.assertEqual(mask("amqp://guest:guest@127.0.0.1:5672//"), "amqp://guest:***@127.0.0.1:5672//")

    def test_dsn_password_is_masked(self):
        self.assertEqual(mask("host=h password=s3cret dbname=x"), "host=h password=*** dbname=x")

    def test_url_without_password_is_unchanged(self):
        self.assertEqual(mask("postgresql://bob@db/x"), "postgresql://bob@db/x")

    def test_mask_text_hides_known_secrets(self):
        self.assertNotIn("hunter2", mask_text("auth failed for hunter2", "hunter2"))
