from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_initiatives')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActorBlock',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(unique=True, max_length=2048)),
                ('action', fields.CharField(default='suspend', max_length=16)),
                ('reason', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'actor_blocks', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A node-wide rule about one remote account, by URI (it may not have been fetched yet).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('by', fields.CharField(max_length=128)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('target', fields.CharField(default='', max_length=2048)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_log', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One moderation or admin action: who did what to what, and when. Never edited.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=128)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('role', fields.CharField(default='member', max_length=16)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='invitations_sent', on_delete=OnDelete.SET_NULL)),
                ('used_by', fields.ForeignKeyField('models.User', source_field='used_by_id', null=True, db_constraint=True, to_field='id', related_name='invitation_used', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invitations', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An invitation to become a member: a single-use link with a role, optionally sent by email.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Media',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('owner', fields.ForeignKeyField('models.Actor', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='media', on_delete=OnDelete.SET_NULL)),
                ('media_type', fields.CharField(max_length=64)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('size', fields.BigIntField(default=0)),
                ('alt', fields.TextField(default='', unique=False)),
                ('blurhash', fields.CharField(null=True, max_length=64)),
                ('variants', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'media', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An uploaded image: the original re-encoded without metadata, and smaller sizes for small screens.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('recipient', fields.ForeignKeyField('models.Actor', source_field='recipient_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('source', fields.ForeignKeyField('models.Actor', source_field='source_id', null=True, db_constraint=True, to_field='id', related_name='notifications_caused', on_delete=OnDelete.CASCADE)),
                ('object_uri', fields.CharField(null=True, max_length=2048)),
                ('text', fields.TextField(default='', unique=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('dedupe_key', fields.CharField(null=True, unique=True, max_length=2048)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notifications', 'app': 'models', 'indexes': [Index(fields=['recipient_id', 'read_at'])], 'pk_attr': 'id', 'table_description': 'Something a member should know: a reply, mention, follow, join or support. `recipient` is a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicySubscription',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=8)),
                ('url', fields.CharField(max_length=2048)),
                ('refresh_hours', fields.IntField(default=24)),
                ('auto_approve', fields.BooleanField(default=False)),
                ('etag', fields.CharField(null=True, max_length=255)),
                ('last_fetched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'policy_subscriptions', 'app': 'models', 'unique_together': (('kind', 'url'),), 'pk_attr': 'id', 'table_description': 'A remote block or allow list (CSV, Mastodon format) refreshed on a schedule: what it brings'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DomainPolicy',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('domain', fields.CharField(db_index=True, max_length=255)),
                ('action', fields.CharField(max_length=16)),
                ('reject_media', fields.BooleanField(default=False)),
                ('reject_reports', fields.BooleanField(default=False)),
                ('public_comment', fields.TextField(default='', unique=False)),
                ('private_comment', fields.TextField(default='', unique=False)),
                ('obfuscate', fields.BooleanField(default=False)),
                ('state', fields.CharField(default='active', max_length=16)),
                ('subscription', fields.ForeignKeyField('models.PolicySubscription', source_field='subscription_id', null=True, db_constraint=True, to_field='id', related_name='rules', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'domain_policies', 'app': 'models', 'unique_together': (('domain', 'action', 'state'),), 'pk_attr': 'id', 'table_description': 'A rule about a remote domain (and its subdomains). Blocks: suspend | silence | noop (with'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Relay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('inbox_url', fields.CharField(unique=True, max_length=2048)),
                ('actor_uri', fields.CharField(null=True, max_length=2048)),
                ('follow_uri', fields.CharField(null=True, max_length=2048)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'relays', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An ActivityPub relay the node subscribes to (Mastodon/LitePub protocol).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uri', fields.CharField(null=True, unique=True, max_length=2048)),
                ('reporter', fields.ForeignKeyField('models.Actor', source_field='reporter_id', null=True, db_constraint=True, to_field='id', related_name='reports_made', on_delete=OnDelete.SET_NULL)),
                ('reporter_domain', fields.CharField(null=True, max_length=255)),
                ('target', fields.ForeignKeyField('models.Actor', source_field='target_id', null=True, db_constraint=True, to_field='id', related_name='reports_received', on_delete=OnDelete.SET_NULL)),
                ('target_uri', fields.CharField(max_length=2048)),
                ('object_uris', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('comment', fields.TextField(default='', unique=False)),
                ('local', fields.BooleanField(default=False)),
                ('forwarded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('state', fields.CharField(default='open', db_index=True, max_length=16)),
                ('action_taken', fields.CharField(null=True, max_length=32)),
                ('resolved_by', fields.ForeignKeyField('models.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='reports_resolved', on_delete=OnDelete.SET_NULL)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reports', 'app': 'models', 'pk_attr': 'id', 'table_description': "A report about an account or content: from a member, or a remote server's Flag."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SiteSetting',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'site_settings', 'app': 'models', 'pk_attr': 'key', 'table_description': 'Node settings changed from the admin console (federation mode, held replies...), as JSON values.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Event',
            name='content_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Event',
            name='draft',
            field=fields.BooleanField(default=False, db_index=True),
        ),
        ops.AddField(
            model_name='Event',
            name='name_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Event',
            name='source_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Initiative',
            name='content_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Initiative',
            name='draft',
            field=fields.BooleanField(default=False, db_index=True),
        ),
        ops.AddField(
            model_name='Initiative',
            name='name_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Initiative',
            name='replies_moderation',
            field=fields.CharField(default='default', max_length=16),
        ),
        ops.AddField(
            model_name='Initiative',
            name='source_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Initiative',
            name='summary_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Post',
            name='attachments',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Post',
            name='draft',
            field=fields.BooleanField(default=False, db_index=True),
        ),
        ops.AddField(
            model_name='Post',
            name='replies_moderation',
            field=fields.CharField(default='default', max_length=16),
        ),
        ops.AddField(
            model_name='Post',
            name='summary_map',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Support',
            name='held',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='disabled',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='failed_logins',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='User',
            name='locale',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='User',
            name='locked_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
