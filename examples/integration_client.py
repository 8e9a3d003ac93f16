#!/usr/bin/env python3
"""An example HMS integration, in Python's standard library only.

It does what a third-party system does (docs/integrations.md):

1. exchanges its client credentials for an access token (OAuth 2.0 client credentials);
2. searches patients and reads one, over REST and as a FHIR R4 Patient;
3. shows a refusal outside its scopes (registering a patient needs `patients:write`);
4. with --listen, subscribes a local receiver to appointment events and prints every event
   whose signature verifies (book an appointment in the web app to see one arrive).

    python3 examples/integration_client.py --client-id ID --client-secret SECRET \\
        [--base http://127.0.0.1:8080] [--search gonz] [--listen 9900]

Create the client first as an administrator (web app: Integrations; or
POST /api/v1/integrations/clients) with the scopes `patients:read appointments:read
webhooks:manage`.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SIGNATURE_MAX_AGE_SECS = 300


def call(method, url, token=None, body=None, form=None, basic=None, accept="application/json"):
    """Sends one request; returns (status, headers, parsed JSON or None)."""
    headers = {"Accept": accept}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        pair = f"{basic[0]}:{basic[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, response.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, error.headers, json.loads(raw) if raw else None


def token(base, client_id, secret):
    status, _, body = call(
        "POST",
        f"{base}/api/v1/auth/token",
        form={"grant_type": "client_credentials"},
        basic=(client_id, secret),
    )
    if status != 200:
        sys.exit(f"token refused ({status}): {body.get('error')}: {body.get('detail')}")
    print(f"token: scopes [{body['scope']}], valid {body['expires_in']} s")
    return body["access_token"]


def verify(secret, timestamp, body, signature):
    """X-HMS-Signature is v1=hex(HMAC-SHA256(secret, "<X-HMS-Timestamp>.<raw body>"))."""
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECS:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("v1=" + expected.hexdigest(), signature)


def listen(base, access, port):
    status, _, sub = call(
        "POST",
        f"{base}/api/v1/webhooks/subscriptions",
        token=access,
        body={
            "url": f"http://127.0.0.1:{port}/hms-events",
            "events": ["appointment.booked", "appointment.cancelled", "appointment.status_changed"],
            "description": "examples/integration_client.py",
        },
    )
    if status != 201:
        sys.exit(f"subscribing refused ({status}): {sub.get('detail')}")
    secret = sub["signing_secret"]
    print(f"subscribed {sub['id']}; waiting for events on port {port} (Ctrl-C ends)")
    seen = set()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verify(
                secret,
                self.headers.get("X-HMS-Timestamp", "0"),
                body,
                self.headers.get("X-HMS-Signature", ""),
            )
            self.send_response(204 if ok else 401)
            self.end_headers()
            delivery = self.headers.get("X-HMS-Delivery")
            if not ok:
                print("REJECTED: the signature does not verify")
            elif delivery in seen:
                print(f"duplicate delivery {delivery} ignored")
            else:
                seen.add(delivery)
                event = json.loads(body)
                print(f"{event['type']} (signature verified): {json.dumps(event['data'])}")

        def log_message(self, *args):
            pass

    try:
        http.server.HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
    except KeyboardInterrupt:
        call("DELETE", f"{base}/api/v1/webhooks/subscriptions/{sub['id']}", token=access)
        print("unsubscribed")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--search", default="gonz", help="a name to search for")
    parser.add_argument("--listen", type=int, metavar="PORT", help="receive webhooks on this port")
    args = parser.parse_args()
    base = args.base.rstrip("/")

    access = token(base, args.client_id, args.client_secret)

    status, headers, page = call("GET", f"{base}/api/v1/patients?q={urllib.parse.quote(args.search)}", token=access)
    print(f"GET /api/v1/patients?q={args.search} -> {status} "
          f"(rate limit {headers.get('RateLimit-Remaining')}/{headers.get('RateLimit-Limit')} left)")
    if status == 200 and page["items"]:
        patient = page["items"][0]
        print(f"  first match: {patient['mrn']} {patient['given_name']} {patient['family_name']}")
        status, _, fhir = call("GET", f"{base}/fhir/R4/Patient/{patient['id']}", token=access,
                               accept="application/fhir+json")
        print(f"GET /fhir/R4/Patient/{patient['id']} -> {status}")
        if status == 200:
            print("  " + json.dumps({k: fhir[k] for k in ("resourceType", "id", "identifier", "name", "birthDate")}))

    status, _, problem = call("POST", f"{base}/api/v1/patients", token=access,
                              body={"given_name": "Test", "family_name": "Integration"})
    print(f"POST /api/v1/patients -> {status} {problem.get('title') if problem else ''}"
          f"{' (expected without patients:write)' if status == 403 else ''}")

    if args.listen:
        listen(base, access, args.listen)


if __name__ == "__main__":
    main()
