import unittest

from harness.urls import address, mask, mask_text, parts, raw_at


class MaskTest(unittest.TestCase):
    def test_url_password_is_masked(self):
        self.assertEqual(mask("postgresql://bob:s3cret@db:5432/x"), "postgresql://bob:***@db:5432/x")

    def test_amqp_url(self):
        self.assertEqual(mask("amqp://guest:guest@127.0.0.1:5672//"), "amqp://guest:***@127.0.0.1:5672//")

    def test_dsn_password_is_masked(self):
        self.assertEqual(mask("host=h password=s3cret dbname=x"), "host=h password=*** dbname=x")

    def test_url_without_password_is_unchanged(self):
        self.assertEqual(mask("postgresql://bob@db/x"), "postgresql://bob@db/x")

    def test_a_raw_at_in_the_password_is_masked_up_to_the_host(self):
        self.assertEqual(mask("amqp://u:p@ss@127.0.0.1:1/"), "amqp://u:***@127.0.0.1:1/")
        self.assertEqual(mask("postgresql://u:a@b@c@db/x?o=y@z"), "postgresql://u:***@db/x?o=y@z")
        self.assertEqual(parts("amqp://u:p@ss@127.0.0.1:1/")[2:4], ("p@ss", "127.0.0.1"))

    def test_an_at_after_the_host_is_not_a_password(self):
        self.assertEqual(mask("amqp://h:5672/vhost@x"), "amqp://h:5672/vhost@x")
        self.assertEqual(mask("see amqp://u:pw@h/ and a@b"), "see amqp://u:***@h/ and a@b")

    def test_raw_at(self):
        self.assertTrue(raw_at("postgresql://u:p@ss@h/x"))
        self.assertFalse(raw_at("postgresql://u:p%40ss@h/x"))
        self.assertFalse(raw_at("postgresql://u@h/x?user=a@b"))
        self.assertFalse(raw_at("host=h password=p@ss"))

    def test_address_brackets_ipv6(self):
        self.assertEqual(address("::1", 5432), "[::1]:5432")
        self.assertEqual(address("db", 5432), "db:5432")

    def test_mask_text_hides_known_secrets(self):
        self.assertNotIn("hunter2", mask_text("auth failed for hunter2", "hunter2"))
